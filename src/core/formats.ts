import {
  isSpanContextValid,
  trace,
  type Context,
  type SpanContext,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
} from '@opentelemetry/api';
import { FLAG_SAMPLED, TRACEPARENT, TRACESTATE, extractInto, formatTraceparent, headerValue, outgoingFlags } from './propagation';

/*
 * Trace context formats besides W3C, for backends that have not moved yet: B3 (Zipkin;
 * single `b3` header and multi `X-B3-*` headers) and Jaeger (`uber-trace-id`). Small
 * parsers of our own, tested against @opentelemetry/propagator-b3 and -jaeger. Stricter
 * than those on input (anchored, every field checked): anything malformed means "no
 * parent", never an exception. Hex of any case is read and sent lowercase; a 64-bit trace
 * id is left-padded to 128 bits. Neither format has a random flag or a tracestate.
 */

/** The formats the edge wrappers understand, by their OTEL_PROPAGATORS names. */
export const PROPAGATORS = ['tracecontext', 'b3', 'b3multi', 'jaeger'] as const;
export type PropagatorName = (typeof PROPAGATORS)[number];

export const B3 = 'b3';
export const B3_TRACE_ID = 'x-b3-traceid';
export const B3_SPAN_ID = 'x-b3-spanid';
export const B3_SAMPLED = 'x-b3-sampled';
export const B3_FLAGS = 'x-b3-flags';
export const B3_PARENT_SPAN_ID = 'x-b3-parentspanid';
export const UBER_TRACE_ID = 'uber-trace-id';
const B3_HEADERS = [B3, B3_TRACE_ID, B3_SPAN_ID, B3_SAMPLED, B3_FLAGS, B3_PARENT_SPAN_ID];

/** Header values longer than this are not trace context (and are never run through a regex). */
const MAX_VALUE = 512;
const ZERO = /^0+$/;
const B3_SINGLE = /^([0-9a-f]{16}|[0-9a-f]{32})-([0-9a-f]{16})(?:-([01d]))?(?:-([0-9a-f]{16}))?$/;
const HEX16 = /^[0-9a-f]{16}$/;
const HEX_TRACE = /^(?:[0-9a-f]{16}|[0-9a-f]{32})$/;
const JAEGER = /^([0-9a-f]{1,32}):([0-9a-f]{1,16}):([0-9a-f]{1,16}):([0-9a-f]{1,2})$/;

export interface RemoteParent {
  traceId: string;
  spanId: string;
  sampled: boolean;
}

const trimOws = (v: string) => v.replace(/^[ \t]+|[ \t]+$/g, '');
const clean = (v: unknown) => (typeof v === 'string' && v.length <= MAX_VALUE ? trimOws(v).toLowerCase() : undefined);

function parent(traceId: string, spanId: string, sampled: boolean): RemoteParent | undefined {
  const tid = traceId.padStart(32, '0');
  const sid = spanId.padStart(16, '0');
  return ZERO.test(tid) || ZERO.test(sid) ? undefined : { traceId: tid, spanId: sid, sampled };
}

/** `b3: {TraceId}-{SpanId}[-{SamplingState}[-{ParentSpanId}]]`; `d` (debug) counts as sampled. */
export function parseB3Single(value: unknown): RemoteParent | undefined {
  const m = clean(value)?.match(B3_SINGLE);
  // No sampling state: the receiver decides; as OpenTelemetry does, that is "not sampled".
  return m ? parent(m[1], m[2], m[3] === '1' || m[3] === 'd') : undefined;
}

const B3_SAMPLED_VALUES: Record<string, boolean> = { '1': true, true: true, '0': false, false: false };

/** `X-B3-TraceId`, `X-B3-SpanId`, `X-B3-Sampled` (1/0/true/false), `X-B3-Flags: 1` (debug, sampled). */
export function parseB3Multi(get: (name: string) => unknown): RemoteParent | undefined {
  const traceId = clean(get(B3_TRACE_ID));
  const spanId = clean(get(B3_SPAN_ID));
  if (!traceId || !spanId || !HEX_TRACE.test(traceId) || !HEX16.test(spanId)) return undefined;
  const raw = get(B3_SAMPLED);
  const sampled = raw === undefined || raw === null ? false : B3_SAMPLED_VALUES[clean(raw) ?? ''];
  if (sampled === undefined) return undefined;
  return parent(traceId, spanId, sampled || clean(get(B3_FLAGS)) === '1');
}

/** `uber-trace-id: {trace-id}:{span-id}:{parent-span-id}:{flags}` (maybe URL-encoded); flag 1 is sampled. */
export function parseJaeger(value: unknown): RemoteParent | undefined {
  let v = clean(value);
  if (!v) return undefined;
  if (v.includes('%')) {
    try {
      v = decodeURIComponent(v);
    } catch {
      return undefined;
    }
  }
  const m = v.match(JAEGER);
  return m ? parent(m[1], m[2], (parseInt(m[4], 16) & 1) === 1) : undefined;
}

/** Reads one header (a list of values is joined, as fetch's Headers do). */
export type HeaderGetter = (name: string) => string | null | undefined;

function fromOthers(name: PropagatorName, get: HeaderGetter): RemoteParent | undefined {
  if (name === 'jaeger') return parseJaeger(get(UBER_TRACE_ID));
  if (name === 'tracecontext') return undefined;
  // Either B3 name reads both encodings, single first (the B3 spec asks extractors to).
  return parseB3Single(get(B3)) ?? parseB3Multi(get);
}

/**
 * The remote parent in `get`'s headers, in `names`' formats: W3C first when it is
 * configured, then the others in the configured order. A format that is absent or
 * malformed is skipped; with none valid `context` comes back as it was.
 */
export function extractParent(context: Context, names: readonly PropagatorName[], get: HeaderGetter): Context {
  try {
    if (names.includes('tracecontext')) {
      const tp = get(TRACEPARENT);
      if (tp !== null && tp !== undefined) {
        const ctx = extractInto(context, tp, get(TRACESTATE));
        if (ctx !== context) return ctx;
      }
    }
    for (const name of names) {
      const p = fromOthers(name, get);
      if (p) return trace.setSpanContext(context, { traceId: p.traceId, spanId: p.spanId, traceFlags: p.sampled ? FLAG_SAMPLED : 0, isRemote: true });
    }
  } catch {
    // A header getter that throws: no parent.
  }
  return context;
}

const written = new WeakMap<readonly PropagatorName[], readonly string[]>();

/** Every header a format writes (to clear a forwarded request's stale ones before writing ours). */
export function headersOf(names: readonly PropagatorName[]): readonly string[] {
  const known = written.get(names);
  if (known) return known;
  const out: string[] = [];
  for (const n of names) {
    if (n === 'tracecontext') out.push(TRACEPARENT, TRACESTATE);
    else if (n === 'jaeger') out.push(UBER_TRACE_ID);
    else out.push(...B3_HEADERS);
  }
  const unique = [...new Set(out)];
  written.set(names, unique);
  return unique;
}

/** The outgoing headers for span `sc` in each format of `names`. */
export function injectHeaders(names: readonly PropagatorName[], sc: SpanContext, set: (name: string, value: string) => void): void {
  const sampled = sc.traceFlags & FLAG_SAMPLED ? '1' : '0';
  for (const n of names) {
    if (n === 'tracecontext') {
      set(TRACEPARENT, formatTraceparent(sc.traceId, sc.spanId, outgoingFlags(sc)));
      const ts = sc.traceState?.serialize();
      if (ts) set(TRACESTATE, ts);
    } else if (n === 'b3') {
      set(B3, sc.traceId + '-' + sc.spanId + '-' + sampled);
    } else if (n === 'b3multi') {
      set(B3_TRACE_ID, sc.traceId);
      set(B3_SPAN_ID, sc.spanId);
      set(B3_SAMPLED, sampled);
    } else if (n === 'jaeger') {
      set(UBER_TRACE_ID, sc.traceId + ':' + sc.spanId + ':0:0' + sampled);
    }
  }
}

/** The configured formats as one @opentelemetry/api propagator (for `propagation.inject/extract`). */
export class FormatsPropagator implements TextMapPropagator {
  constructor(private readonly names: readonly PropagatorName[]) {}

  inject(context: Context, carrier: unknown, setter: TextMapSetter): void {
    const sc = trace.getSpanContext(context);
    if (!sc || !isSpanContextValid(sc)) return;
    injectHeaders(this.names, sc, (k, v) => setter.set(carrier, k, v));
  }

  extract(context: Context, carrier: unknown, getter: TextMapGetter): Context {
    return extractParent(context, this.names, (k) => headerValue(carrier, getter, k));
  }

  fields(): string[] {
    return [...headersOf(this.names)];
  }
}
