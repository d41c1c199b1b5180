import {
  isSpanContextValid,
  trace,
  type Context,
  type SpanContext,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
  type TraceState,
} from '@opentelemetry/api';

/*
 * W3C Trace Context, Level 2, strict: the stock propagator keeps a tracestate with an
 * invalid member and loses the `random` flag. Parsing never throws; anything invalid
 * means "no parent", so a fresh trace starts.
 */

export { FLAG_RANDOM, FLAG_SAMPLED, formatTraceparent, parseTraceparent, TRACE_HEADERS, TRACEPARENT, TRACESTATE, type Traceparent } from './traceparent';
import { FLAG_RANDOM, FLAG_SAMPLED, formatTraceparent, parseTraceparent, TRACE_HEADERS, TRACEPARENT, TRACESTATE } from './traceparent';

const KEY = /^[a-z0-9][a-z0-9_\-*/@]{0,255}$/;
// value = 0*255(chr) nblk-chr; chr = %x20 / nblk-chr; nblk-chr excludes ',' and '='.
const VALUE = /^[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;
const MAX_MEMBERS = 32;

/** An immutable W3C tracestate; `random` (never sent) marks a random trace id, inherited by children. */
export class W3CTraceState implements TraceState {
  constructor(
    private readonly members: ReadonlyArray<readonly [string, string]> = [],
    readonly random = false,
  ) {}

  get(key: string): string | undefined {
    for (const [k, v] of this.members) if (k === key) return v;
    return undefined;
  }

  set(key: string, value: string): TraceState {
    if (!KEY.test(key) || !VALUE.test(value)) return this;
    const rest = this.members.filter(([k]) => k !== key);
    // A new or modified member moves to the left; the list stays within 32 members.
    return new W3CTraceState([[key, value] as const, ...rest].slice(0, MAX_MEMBERS), this.random);
  }

  unset(key: string): TraceState {
    return new W3CTraceState(this.members.filter(([k]) => k !== key), this.random);
  }

  /** This tracestate, marked random. */
  asRandom(): W3CTraceState {
    return this.random ? this : new W3CTraceState(this.members, true);
  }

  serialize(): string {
    return this.members.map(([k, v]) => k + '=' + v).join(',');
  }
}

/**
 * Parses a tracestate value (header fields joined by ','); undefined on an invalid member
 * or over 32 members. Of a duplicated key the first wins (W3C test_tracestate_duplicated_keys).
 */
export function parseTracestate(value: unknown): W3CTraceState | undefined {
  if (typeof value !== 'string' || value.length > 8192) return undefined;
  const members: [string, string][] = [];
  const seen = new Set<string>();
  let count = 0;
  for (const part of value.split(',')) {
    const m = part.replace(/^[ \t]+|[ \t]+$/g, '');
    if (!m) continue;
    const eq = m.indexOf('=');
    if (eq <= 0) return undefined;
    const key = m.slice(0, eq);
    const val = m.slice(eq + 1);
    if (!KEY.test(key) || !VALUE.test(val) || ++count > MAX_MEMBERS) return undefined;
    if (seen.has(key)) continue;
    seen.add(key);
    members.push([key, val]);
  }
  return members.length ? new W3CTraceState(members) : undefined;
}

/** A carrier's header as one string. */
export function headerValue(carrier: unknown, getter: TextMapGetter, key: string): string | undefined {
  const v = getter.get(carrier, key);
  if (Array.isArray(v)) return v.join(',');
  return typeof v === 'string' ? v : undefined;
}

/** True when `ts` marks a random trace id. */
export function isRandomTrace(ts: TraceState | undefined): boolean {
  return ts instanceof W3CTraceState && ts.random;
}

/** `ts` (any TraceState, or none) marked random. */
export function markedRandom(ts: TraceState | undefined): W3CTraceState {
  const w3c = ts instanceof W3CTraceState ? ts : ts && parseTracestate(ts.serialize());
  return (w3c || new W3CTraceState()).asRandom();
}

/** Outgoing flags: sampled, and random only for a trace marked so (OTel Go < 1.42 rejects flags > 2). */
export function outgoingFlags(sc: SpanContext): number {
  return (sc.traceFlags & FLAG_SAMPLED) | (sc.traceFlags & FLAG_RANDOM || isRandomTrace(sc.traceState) ? FLAG_RANDOM : 0);
}

/** Extracts a remote SpanContext into `context`; an invalid header leaves the context as it was. */
export function extractInto(context: Context, traceparent: unknown, tracestate: unknown): Context {
  try {
    const tp = parseTraceparent(traceparent);
    if (!tp) return context;
    const ts = parseTracestate(tracestate);
    return trace.setSpanContext(context, {
      traceId: tp.traceId,
      spanId: tp.spanId,
      traceFlags: tp.flags,
      isRemote: true,
      traceState: tp.flags & FLAG_RANDOM ? markedRandom(ts) : ts,
    });
  } catch {
    return context;
  }
}

export class W3CPropagator implements TextMapPropagator {
  inject(context: Context, carrier: unknown, setter: TextMapSetter): void {
    const sc = trace.getSpanContext(context);
    if (!sc || !isSpanContextValid(sc)) return;
    setter.set(carrier, TRACEPARENT, formatTraceparent(sc.traceId, sc.spanId, outgoingFlags(sc)));
    const ts = sc.traceState?.serialize();
    if (ts) setter.set(carrier, TRACESTATE, ts);
  }

  extract(context: Context, carrier: unknown, getter: TextMapGetter): Context {
    return extractInto(context, headerValue(carrier, getter, TRACEPARENT), headerValue(carrier, getter, TRACESTATE));
  }

  fields(): string[] {
    return [...TRACE_HEADERS];
  }
}
