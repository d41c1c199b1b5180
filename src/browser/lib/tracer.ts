// LEAD NOTE (remove this line): issue #7 requires staying on the design card packages: keep the SDK tracer (sdk-trace-web/base), do not replace it with lib/tracer.ts. Read /work/wt-load/LEAD-NOTE-READ-ME.md.
import {
  context as api,
  INVALID_SPAN_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type AttributeValue,
  type Context,
  type Exception,
  type HrTime,
  type Link,
  type Span,
  type SpanContext,
  type SpanOptions,
  type SpanStatus,
  type TimeInput,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';
import { isTracingSuppressed } from '@opentelemetry/core';
import type { TimedEvent } from '@opentelemetry/sdk-trace-base';
import type { ExportableSpan } from '../../core/otlp';

/*
 * The browser's tracer, in place of the SDK's (a third of the bundle to compile at page
 * load, and most of a span's cost). Same observable rules: limits, clock, status, parent-
 * based sampling, suppression. Unsampled spans are the API's non-recording spans.
 */

export interface TracerOptions {
  /** Longest string value, and most attributes (and events, links) per span. */
  maxLength: number;
  maxCount: number;
  /** The decision for a span without a valid parent. */
  sampleRoot(): boolean;
  onStart(): void;
  onEnd(span: RecordedSpan): void;
}

// Ids from the CSPRNG, 4 KiB at a time; one fromCharCode per id (toString(16) and
// concatenation are several times slower in V8).
const HEX = new Uint8Array(16).map((_, i) => (i < 10 ? 48 : 87) + i);
const pool = new Uint8Array(4096);
let at = pool.length;
function hex8(): string {
  if (at === pool.length) {
    crypto.getRandomValues(pool);
    at = 0;
  }
  const p = pool;
  const i = (at += 8);
  const a = p[i - 8], b = p[i - 7], c = p[i - 6], d = p[i - 5], e = p[i - 4], f = p[i - 3], g = p[i - 2], h = p[i - 1];
  // All zero is invalid (W3C).
  if (!(a | b | c | d | e | f | g | h)) return hex8();
  const x = HEX;
  return String.fromCharCode(x[a >> 4], x[a & 15], x[b >> 4], x[b & 15], x[c >> 4], x[c & 15], x[d >> 4], x[d & 15],
    x[e >> 4], x[e & 15], x[f >> 4], x[f & 15], x[g >> 4], x[g & 15], x[h >> 4], x[h & 15]);
}

const ORIGIN = performance.timeOrigin;
/** Shared until a span gets its first event or link. */
const NONE: never[] = [];
const UNSET: SpanStatus = { code: SpanStatusCode.UNSET };
const own = Object.prototype.hasOwnProperty;

const isHrTime = (v: unknown): v is HrTime => Array.isArray(v) && v.length === 2 && typeof v[0] === 'number' && typeof v[1] === 'number';
const isTime = (v: unknown): v is TimeInput => isHrTime(v) || typeof v === 'number' || v instanceof Date;
/** Epoch ms as HrTime, as @opentelemetry/core converts it. */
const hr = (t: number | HrTime): HrTime => (typeof t === 'number' ? [Math.trunc(t / 1000), Math.round((t % 1000) * 1e6)] : t);
const ns = (t: HrTime) => t[0] * 1e9 + t[1];

const primitive = (t: string) => t === 'string' || t === 'number' || t === 'boolean';
/** The SDK's rule: a primitive, or an array of one primitive type (nulls allowed). */
function valid(v: unknown): boolean {
  if (!Array.isArray(v)) return primitive(typeof v);
  let type: string | undefined;
  for (const x of v) {
    if (x == null || typeof x === type) continue;
    if (type || !primitive(typeof x)) return false;
    type = typeof x;
  }
  return true;
}

export interface Scope {
  name: string;
  version?: string;
  schemaUrl?: string;
}

/** A sampled span, as the pipeline encodes it. */
export class RecordedSpan implements Span, ExportableSpan {
  attributes: Attributes = {};
  links: Link[] = NONE;
  events: TimedEvent[] = NONE;
  status = UNSET;
  droppedAttributesCount = 0;
  droppedEventsCount = 0;
  droppedLinksCount = 0;
  ended = false;
  private n = 0;
  /** The SDK's clock: wall time at the start, then the monotonic clock (p0, offset) from there. */
  private readonly p0 = performance.now();
  private readonly offset: number;
  private readonly given: boolean;
  /** Epoch ms, or the HrTime a caller passed. */
  private t0: number | HrTime;
  private t1: number | HrTime = 0;

  constructor(
    private readonly sc: SpanContext,
    public name: string,
    readonly kind: SpanKind,
    readonly parentSpanContext: SpanContext | undefined,
    readonly instrumentationScope: Scope,
    private readonly o: TracerOptions,
    start: TimeInput | undefined,
  ) {
    const now = Date.now();
    this.offset = now - (this.p0 + ORIGIN);
    this.given = start != null;
    this.t0 = this.given ? this.time(start) : now;
  }

  /** Numbers up to performance.now() are performance times; larger ones epoch ms. */
  private time(t: unknown): number | HrTime {
    if (typeof t === 'number') return t <= performance.now() ? t + ORIGIN + this.offset : t;
    if (t instanceof Date) return t.getTime();
    if (isHrTime(t)) return t;
    if (this.given) return Date.now();
    const d = performance.now() - this.p0;
    return typeof this.t0 === 'number' ? this.t0 + d : hr(ns(this.t0) / 1e6 + d);
  }

  get startTime(): HrTime {
    return hr(this.t0);
  }

  get endTime(): HrTime {
    return hr(this.t1);
  }

  spanContext(): SpanContext {
    return this.sc;
  }

  setAttribute(key: string, value: AttributeValue | undefined): this {
    if (value == null || this.ended || typeof key !== 'string' || !key || !valid(value)) return this;
    if (!own.call(this.attributes, key)) {
      if (this.n >= this.o.maxCount) {
        this.droppedAttributesCount++;
        return this;
      }
      this.n++;
    }
    this.attributes[key] = this.cut(value);
    return this;
  }

  setAttributes(attributes: Attributes): this {
    for (const k in attributes) if (own.call(attributes, k)) this.setAttribute(k, attributes[k]);
    return this;
  }

  private cut(v: AttributeValue): AttributeValue {
    const max = this.o.maxLength;
    if (typeof v === 'string') return v.length > max ? v.slice(0, max) : v;
    return Array.isArray(v) ? (v.map((x) => (typeof x === 'string' && x.length > max ? x.slice(0, max) : x)) as AttributeValue) : v;
  }

  /** An event's or a link's attributes: valid ones, cut, within the count. */
  private bag(attrs: unknown): { attributes: Attributes; dropped: number } {
    const attributes: Attributes = {};
    let n = 0;
    let dropped = 0;
    if (attrs && typeof attrs === 'object') {
      for (const k in attrs) {
        const v = (attrs as Record<string, unknown>)[k];
        if (!own.call(attrs, k) || !k || v == null || !valid(v)) continue;
        if (n++ < this.o.maxCount) attributes[k] = this.cut(v as AttributeValue);
        else dropped++;
      }
    }
    return { attributes, dropped };
  }

  addEvent(name: string, attributesOrTime?: Attributes | TimeInput, time?: TimeInput): this {
    if (this.ended) return this;
    if (this.events === NONE) this.events = [];
    // Past the limit the oldest event gives way.
    if (this.events.length >= this.o.maxCount && this.events.shift()) this.droppedEventsCount++;
    let attrs: unknown = attributesOrTime;
    if (isTime(attributesOrTime)) {
      if (!isTime(time)) time = attributesOrTime;
      attrs = undefined;
    }
    const { attributes, dropped } = this.bag(attrs);
    this.events.push({ name, attributes, time: hr(this.time(time)), droppedAttributesCount: dropped });
    return this;
  }

  addLink(link: Link): this {
    if (this.ended) return this;
    if (this.links === NONE) this.links = [];
    if (this.links.length >= this.o.maxCount && this.links.shift()) this.droppedLinksCount++;
    const { attributes, dropped } = this.bag(link?.attributes);
    const l: Link = { context: link?.context };
    for (const _ in attributes) {
      l.attributes = attributes;
      break;
    }
    if (dropped) l.droppedAttributesCount = dropped;
    this.links.push(l);
    return this;
  }

  addLinks(links: Link[]): this {
    for (const l of links) this.addLink(l);
    return this;
  }

  setStatus(status: SpanStatus): this {
    if (this.ended || status.code === SpanStatusCode.UNSET || this.status.code === SpanStatusCode.OK) return this;
    this.status = status.code === SpanStatusCode.ERROR && typeof status.message === 'string' ? { code: status.code, message: status.message } : { code: status.code };
    return this;
  }

  updateName(name: string): this {
    if (!this.ended) this.name = name;
    return this;
  }

  end(endTime?: TimeInput): void {
    if (this.ended) return;
    const t = this.time(endTime);
    // An end before the start makes a zero-length span, as in the SDK.
    const t0 = this.t0;
    this.t1 = (typeof t === 'number' && typeof t0 === 'number' ? t < t0 : ns(hr(t)) < ns(hr(t0))) ? t0 : t;
    this.ended = true;
    this.o.onEnd(this);
  }

  isRecording(): boolean {
    return !this.ended;
  }

  recordException(exception: Exception, time?: TimeInput): void {
    const a: Attributes = {};
    if (typeof exception === 'string') a['exception.message'] = exception;
    else if (exception && typeof exception === 'object') {
      const e = exception as unknown as Record<string, unknown>;
      if (e.code) a['exception.type'] = String(e.code);
      else if (e.name) a['exception.type'] = e.name as string;
      if (e.message) a['exception.message'] = e.message as string;
      if (e.stack) a['exception.stacktrace'] = e.stack as string;
    }
    if (a['exception.type'] || a['exception.message']) this.addEvent('exception', a, time);
  }
}

class TraceletTracer implements Tracer {
  constructor(
    private readonly scope: Scope,
    private readonly o: TracerOptions,
  ) {}

  startSpan(name: string, options: SpanOptions = {}, ctx: Context = api.active()): Span {
    if (options.root) ctx = trace.deleteSpan(ctx);
    if (isTracingSuppressed(ctx)) return trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
    const p = trace.getSpanContext(ctx);
    const parent = p && trace.isSpanContextValid(p) ? p : undefined;
    const sampled = parent ? (parent.traceFlags & 1) === 1 : this.o.sampleRoot();
    const sc: SpanContext = { traceId: parent ? parent.traceId : hex8() + hex8(), spanId: hex8(), traceFlags: sampled ? 1 : 0, traceState: parent?.traceState };
    if (!sampled) return trace.wrapSpanContext(sc);
    const span = new RecordedSpan(sc, name, options.kind ?? SpanKind.INTERNAL, parent, this.scope, this.o, options.startTime);
    if (options.links) span.addLinks(options.links);
    if (options.attributes) span.setAttributes(options.attributes);
    this.o.onStart();
    return span;
  }

  startActiveSpan<F extends (span: Span) => unknown>(name: string, ...args: unknown[]): ReturnType<F> {
    if (!args.length) return undefined as ReturnType<F>;
    const ctx = (args.length > 2 ? (args[1] as Context) : undefined) ?? api.active();
    const span = this.startSpan(name, args.length > 1 ? (args[0] as SpanOptions) : undefined, ctx);
    return api.with(trace.setSpan(ctx, span), args[args.length - 1] as (span: Span) => ReturnType<F>, undefined, span);
  }
}

/** One tracer per (name, version, schemaUrl), as the SDK hands them out. */
export class TraceletTracerProvider implements TracerProvider {
  private readonly tracers = new Map<string, Tracer>();

  constructor(private readonly o: TracerOptions) {}

  getTracer(name: string, version?: string, options?: { schemaUrl?: string }): Tracer {
    const schemaUrl = options?.schemaUrl;
    // String(): a symbol passed by mistake must not throw at the page.
    const key = String(name) + '@' + String(version || '') + ':' + String(schemaUrl || '');
    let t = this.tracers.get(key);
    if (!t) this.tracers.set(key, (t = new TraceletTracer({ name, version, schemaUrl }, this.o)));
    return t;
  }
}
