/** Span status code ERROR in OTLP. */
const STATUS_ERROR = 2;
const VITAL_ORDER = ['TTFB', 'FCP', 'LCP', 'CLS', 'INP'];

/** The Web Vital a span reports, or undefined: by `web_vital.name`, else by a span named like one. */
function vitalOf(span) {
  const name = span.attributes['web_vital.name'] ?? (VITAL_ORDER.includes(span.name) ? span.name : undefined);
  const value = span.attributes['web_vital.value'];
  if (typeof name !== 'string' || typeof value !== 'number') return undefined;
  const rating = span.attributes['web_vital.rating'];
  return { name, value, rating: typeof rating === 'string' ? rating : '', traceId: span.traceId, spanId: span.spanId, timeMs: span.endMs };
}

const pageViewOf = (span) => span.attributes['page_view.id'] ?? span.resource['page_view.id'];

/**
 * Spans grouped by trace, in memory, bounded: past `maxTraces` the trace updated longest
 * ago is forgotten, and a trace keeps at most `maxSpansPerTrace` spans.
 */
export class TraceStore {
  #traces = new Map();

  constructor({ maxTraces = 200, maxSpansPerTrace = 2000 } = {}) {
    this.maxTraces = maxTraces;
    this.maxSpansPerTrace = maxSpansPerTrace;
  }

  add(spans) {
    for (const span of spans) {
      let trace = this.#traces.get(span.traceId);
      if (trace) this.#traces.delete(span.traceId); // re-inserted below: Map order is update order
      else trace = { spans: new Map(), droppedSpans: 0 };
      this.#traces.set(span.traceId, trace);
      if (trace.spans.size < this.maxSpansPerTrace || trace.spans.has(span.spanId)) trace.spans.set(span.spanId, span);
      else trace.droppedSpans++;
      if (this.#traces.size > this.maxTraces) this.#traces.delete(this.#traces.keys().next().value);
    }
  }

  /** Summaries of every stored trace, newest first. */
  list() {
    return [...this.#traces.keys()].map((id) => this.#summary(id)).sort((a, b) => b.startMs - a.startMs);
  }

  /** One trace: its summary, spans by start time, and the Web Vitals of its page view. */
  get(traceId) {
    const trace = this.#traces.get(traceId);
    if (!trace) return undefined;
    const spans = [...trace.spans.values()].sort((a, b) => a.startMs - b.startMs);
    return { ...this.#summary(traceId), droppedSpans: trace.droppedSpans, spans, vitals: this.#vitals(traceId, spans) };
  }

  #summary(traceId) {
    const spans = [...this.#traces.get(traceId).spans.values()].sort((a, b) => a.startMs - b.startMs);
    const ids = new Set(spans.map((s) => s.spanId));
    // A trace whose real root has not arrived (yet) is rooted at its earliest orphan.
    const root = spans.find((s) => !s.parentSpanId) ?? spans.find((s) => !ids.has(s.parentSpanId));
    const startMs = spans[0].startMs;
    return {
      traceId,
      rootName: root.name,
      rootService: root.service,
      rootComplete: !root.parentSpanId,
      services: [...new Set(spans.map((s) => s.service))],
      startMs,
      durationMs: Math.max(...spans.map((s) => s.endMs)) - startMs,
      spanCount: spans.length,
      errorCount: spans.filter((s) => s.status.code === STATUS_ERROR).length,
    };
  }

  /** Vitals in the same trace, or anywhere with the same `page_view.id`; the latest per name. */
  #vitals(traceId, spans) {
    const pageViews = new Set(spans.map(pageViewOf).filter((v) => v !== undefined));
    const latest = new Map();
    for (const trace of this.#traces.values()) {
      for (const span of trace.spans.values()) {
        if (span.traceId !== traceId && !pageViews.has(pageViewOf(span))) continue;
        const vital = vitalOf(span);
        if (vital && !(latest.get(vital.name)?.timeMs > vital.timeMs)) latest.set(vital.name, vital);
      }
    }
    const rank = (n) => (VITAL_ORDER.includes(n) ? VITAL_ORDER.indexOf(n) : VITAL_ORDER.length);
    return [...latest.values()].sort((a, b) => rank(a.name) - rank(b.name));
  }
}
