import { parseTraceparent } from '../core/propagation';

/**
 * The traceparent of the server span that served this page: `<meta name="traceparent">`
 * when the server rendered one, else the navigation's `Server-Timing: traceparent;desc=…`
 * (as tracelet's edge wrappers send it). Undefined unless it is valid W3C.
 */
export function pageTraceparent(): string | undefined {
  try {
    const meta = document.querySelector('meta[name="traceparent"]')?.getAttribute('content');
    // An attribute value loses its ASCII white space (HTML), a header value its SP / HTAB (W3C).
    if (meta) {
      const tp = meta.replace(/^[\t\n\f\r ]+|[\t\n\f\r ]+$/g, '');
      return parseTraceparent(tp) ? tp : undefined;
    }
    const nav = performance.getEntriesByType?.('navigation')[0] as PerformanceNavigationTiming | undefined;
    const desc = nav?.serverTiming?.find((t) => t.name === 'traceparent')?.description;
    return desc && parseTraceparent(desc) ? desc.replace(/^[ \t]+|[ \t]+$/g, '') : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The document-load instrumentation parents `documentLoad` on `<meta name="traceparent">`
 * only; give it one from Server-Timing when the page has none (an invalid meta is left
 * alone, and starts a fresh trace).
 */
export function exposePageTraceparent(): void {
  try {
    if (document.querySelector('meta[name="traceparent"]')) return;
    const tp = pageTraceparent();
    if (!tp) return;
    const meta = document.createElement('meta');
    meta.name = 'traceparent';
    meta.content = tp;
    document.head.appendChild(meta);
  } catch {
    // no head yet or a locked-down document: documentLoad starts its own trace
  }
}
