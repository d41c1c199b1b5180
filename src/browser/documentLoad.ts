// LEAD NOTE (remove this line): issue #7 requires staying on the design card packages: keep the SDK tracer (sdk-trace-web/base), do not replace it with lib/tracer.ts. Read /work/wt-load/LEAD-NOTE-READ-ME.md.
import { context, ROOT_CONTEXT, trace, type Context, type Span, type TracerProvider } from '@opentelemetry/api';
import { extractInto } from '../core/propagation';
import { listen } from './lib/listen';

/*
 * The page load as @opentelemetry/instrumentation-document-load records it (same spans,
 * events, attributes and scope, so what was built on it keeps working), without its
 * instrumentation base, context switching and propagator round trip: a few milliseconds
 * of the page's main thread at load.
 */

type Timing = Record<string, unknown>;

const NAVIGATION_KEYS = ['connectEnd', 'connectStart', 'decodedBodySize', 'domComplete', 'domContentLoadedEventEnd', 'domContentLoadedEventStart',
  'domInteractive', 'domainLookupEnd', 'domainLookupStart', 'encodedBodySize', 'fetchStart', 'loadEventEnd', 'loadEventStart', 'navigationStart',
  'redirectEnd', 'redirectStart', 'requestStart', 'responseEnd', 'responseStart', 'secureConnectionStart', 'startTime', 'unloadEventEnd', 'unloadEventStart'];
const NETWORK_EVENTS = ['fetchStart', 'domainLookupStart', 'domainLookupEnd', 'connectStart', 'secureConnectionStart', 'connectEnd', 'requestStart', 'responseStart', 'responseEnd'];
const LOAD_EVENTS = ['fetchStart', 'unloadEventStart', 'unloadEventEnd', 'domInteractive', 'domContentLoadedEventStart', 'domContentLoadedEventEnd', 'domComplete', 'loadEventStart', 'loadEventEnd'];
const PAINT_EVENTS: Record<string, string> = { 'first-paint': 'firstPaint', 'first-contentful-paint': 'firstContentfulPaint' };

/** The navigation entry's numbers (the legacy performance.timing where there is none). */
function navigationTiming(): Timing {
  const out: Timing = {};
  const nav = (performance.getEntriesByType?.('navigation')[0] ?? (performance as { timing?: unknown }).timing) as unknown as Timing | undefined;
  if (nav) for (const k of NAVIGATION_KEYS) if (k in nav && typeof nav[k] === 'number') out[k] = nav[k];
  return out;
}

function event(span: Span, name: string, t: Timing, ignoreZeros = true): void {
  const v = t[name];
  if (typeof v === 'number' && !(ignoreZeros && v === 0)) span.addEvent(name, v);
}

/** sdk-trace-web's addSpanNetworkEvents: the fetch phases as events, the body sizes (old semconv) as attributes. */
function network(span: Span, t: Timing): void {
  const ignoreZeros = t.startTime !== 0;
  for (const k of NETWORK_EVENTS) event(span, k, t, ignoreZeros);
  const encoded = t.encodedBodySize as number | undefined;
  if (encoded !== undefined) span.setAttribute('http.response_content_length', encoded);
  const decoded = t.decodedBodySize as number | undefined;
  if (decoded !== undefined && encoded !== decoded) span.setAttribute('http.response_content_length_uncompressed', decoded);
}

/** `documentLoad` with `documentFetch` and one `resourceFetch` per resource, once the load event is over. */
export function instrumentDocumentLoad(provider: TracerProvider): () => void {
  const tracer = provider.getTracer('@opentelemetry/instrumentation-document-load', '0.68.0');
  const start = (name: string, t: Timing, ctx: Context) => {
    const at = t.fetchStart;
    return typeof at === 'number' ? tracer.startSpan(name, { startTime: at }, ctx) : undefined;
  };
  const end = (span: Span, t: Timing, key: string) => span.end(key in t ? (t[key] as number) : undefined);

  const collect = () => {
    const nav = navigationTiming();
    // The parent: <meta name="traceparent"> (Server-Timing put one there), else the page's
    // context manager decides (it joins the server span until the first route change).
    const meta = Array.from(document.getElementsByTagName('meta')).find((e) => e.getAttribute('name') === 'traceparent');
    let parent = extractInto(ROOT_CONTEXT, meta?.content || '', undefined);
    if (parent === ROOT_CONTEXT) parent = context.with(ROOT_CONTEXT, () => context.active());
    const root = start('documentLoad', nav, parent);
    if (!root) return;
    const inLoad = trace.setSpan(parent, root);
    const fetchSpan = start('documentFetch', nav, inLoad);
    if (fetchSpan) {
      fetchSpan.setAttribute('url.full', location.href);
      network(fetchSpan, nav);
      end(fetchSpan, nav, 'responseEnd');
    }
    root.setAttribute('url.full', location.href);
    root.setAttribute('user_agent.original', navigator.userAgent);
    for (const r of (performance.getEntriesByType?.('resource') ?? []) as unknown as Timing[]) {
      const span = start('resourceFetch', r, inLoad);
      if (!span) continue;
      span.setAttribute('url.full', r.name as string);
      network(span, r);
      end(span, r, 'responseEnd');
    }
    for (const k of LOAD_EVENTS) event(root, k, nav);
    for (const p of performance.getEntriesByType?.('paint') ?? []) if (PAINT_EVENTS[p.name]) root.addEvent(PAINT_EVENTS[p.name], p.startTime);
    end(root, nav, 'loadEventEnd');
  };

  // After the load event's handlers, so loadEventEnd is set.
  let timer: ReturnType<typeof setTimeout> | undefined;
  const later = () => (timer = setTimeout(collect));
  if (document.readyState === 'complete') {
    later();
    return () => clearTimeout(timer);
  }
  const stop = listen('load', later);
  return () => {
    stop();
    clearTimeout(timer);
  };
}
