import { parseTraceparent } from '../../core/traceparent';
import type { Ids } from './hub';

/**
 * The server span that served this page: `<meta name="traceparent">` (an attribute value
 * loses its ASCII white space, HTML), else the navigation's Server-Timing
 * `traceparent;desc=…` or, as Trace Context Level 3 drafts it, `trace;desc=…`. Only a valid
 * W3C value counts: anything else starts the page's own trace.
 */
export function pageIds(): Ids | undefined {
  try {
    const meta = document.querySelector('meta[name="traceparent"]')?.getAttribute('content');
    const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
    const tp = parseTraceparent(
      meta != null ? meta.replace(/^[\t\n\f\r ]+|[\t\n\f\r ]+$/g, '') : nav?.serverTiming?.find((t) => t.name === 'traceparent' || t.name === 'trace')?.description,
    );
    if (tp) return { t: tp.traceId, p: tp.spanId, f: tp.flags };
  } catch {
    // no Performance or DOM access: a page of its own
  }
  return undefined;
}
