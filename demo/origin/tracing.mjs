import { randomBytes } from 'node:crypto';

/*
 * Just enough tracing for the origin to continue the edge's trace, written by hand so the
 * demo shows that any service speaking W3C Trace Context and OTLP joins the same trace.
 */

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
export const KIND = { INTERNAL: 1, SERVER: 2 };
export const STATUS = { ERROR: 2 };

const nowNanos = () => BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6));
const randomId = (bytes) => randomBytes(bytes).toString('hex');

/** The incoming `traceparent` as a parent, or undefined (version 00 only: a demo, not a library). */
export function parseTraceparent(header) {
  const m = TRACEPARENT.exec(String(header ?? '').trim());
  if (!m || /^0+$/.test(m[1]) || /^0+$/.test(m[2])) return undefined;
  return { traceId: m[1], spanId: m[2], sampled: (parseInt(m[3], 16) & 1) === 1 };
}

/**
 * A span that calls `onEnd(span)` when ended. `parent` is a parsed traceparent or another
 * span; without one a new trace starts. An unsampled parent yields a span nobody exports.
 */
export function startSpan(name, { kind = KIND.INTERNAL, parent, attributes = {} }, onEnd) {
  const span = {
    traceId: parent?.traceId ?? randomId(16),
    spanId: randomId(8),
    parentSpanId: parent?.spanId,
    sampled: parent?.sampled ?? true,
    name,
    kind,
    startNanos: nowNanos(),
    endNanos: undefined,
    attributes: { ...attributes },
    events: [],
    status: { code: 0 },
    addEvent(eventName, eventAttributes = {}) {
      span.events.push({ name: eventName, timeNanos: nowNanos(), attributes: eventAttributes });
    },
    end() {
      if (span.endNanos !== undefined) return;
      span.endNanos = nowNanos();
      if (span.sampled) onEnd(span);
    },
  };
  return span;
}
