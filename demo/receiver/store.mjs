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
/** A span about the page view as a whole rather than about one click: a Web Vital, or an error outside any trace. */
const isPageLevel = (span) => vitalOf(span) !== undefined || (span.attributes['tracelet.error.source'] !== undefined && !span.parentSpanId);

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

  /**
   * One row per trace, newest first, except that a page view's own one-span traces (its Web
   * Vitals, its errors outside any click) are folded into the row of its page load: the trace
   * holding that page view's `documentLoad` (with tracelet's edge in front, the edge's trace),
   * or, until the page load arrives, the earliest of them. Rows match by `page_view.id`.
   */
  list() {
    const { rows, folded } = this.#pageViews();
    return rows.map((id) => this.#summary(id, folded.get(id))).sort((a, b) => b.startMs - a.startMs);
  }

  /** One trace: its summary, spans by start time (with the page view's folded ones), and the Web Vitals of its page view. */
  get(traceId) {
    const trace = this.#traces.get(traceId);
    if (!trace) return undefined;
    const grouped = this.#pageViews().folded.get(traceId) ?? [];
    const spans = [...trace.spans.values(), ...grouped.flatMap((id) => [...this.#traces.get(id).spans.values()])].sort((a, b) => a.startMs - b.startMs);
    return { ...this.#summary(traceId, grouped), droppedSpans: trace.droppedSpans, spans, vitals: this.#vitals(traceId, spans) };
  }

  /** Which traces get a row, and for each row the page-view traces folded into it. */
  #pageViews() {
    const rows = [];
    const anchors = new Map(); // page_view.id -> the trace id its page-level traces fold into
    const pageLevel = [];
    for (const [id, trace] of this.#traces) {
      const spans = [...trace.spans.values()];
      const pageView = spans.map(pageViewOf).find((v) => v !== undefined);
      if (pageView !== undefined && spans.every(isPageLevel)) {
        pageLevel.push({ id, pageView, startMs: Math.min(...spans.map((s) => s.startMs)) });
        continue;
      }
      rows.push(id);
      if (pageView !== undefined && spans.some((s) => s.name === 'documentLoad' && pageViewOf(s) === pageView)) anchors.set(pageView, id);
    }
    const folded = new Map();
    for (const t of pageLevel.sort((a, b) => a.startMs - b.startMs)) {
      const anchor = anchors.get(t.pageView);
      if (anchor === undefined) {
        anchors.set(t.pageView, t.id);
        rows.push(t.id);
      } else {
        if (!folded.has(anchor)) folded.set(anchor, []);
        folded.get(anchor).push(t.id);
      }
    }
    return { rows, folded };
  }

  #summary(traceId, grouped = []) {
    const own = [...this.#traces.get(traceId).spans.values()].sort((a, b) => a.startMs - b.startMs);
    const ids = new Set(own.map((s) => s.spanId));
    // A trace whose real root has not arrived (yet) is rooted at its earliest orphan.
    const root = own.find((s) => !s.parentSpanId) ?? own.find((s) => !ids.has(s.parentSpanId));
    const all = own.concat(grouped.flatMap((id) => [...this.#traces.get(id).spans.values()]));
    const startMs = own[0].startMs;
    const pageView = own.map(pageViewOf).find((v) => v !== undefined);
    return {
      traceId,
      rootName: root.name,
      rootService: root.service,
      rootComplete: !root.parentSpanId,
      services: [...new Set(all.map((s) => s.service))],
      startMs,
      durationMs: Math.max(...own.map((s) => s.endMs)) - startMs,
      spanCount: all.length,
      errorCount: all.filter((s) => s.status.code === STATUS_ERROR).length,
      ...(pageView !== undefined && { pageViewId: String(pageView) }),
      groupedTraces: grouped.length,
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
