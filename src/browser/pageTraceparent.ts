/**
 * The document-load instrumentation parents `documentLoad` on `<meta name="traceparent">`
 * only; give it the one the loader found in Server-Timing (`traceparent` or `trace`) when the page has none (an invalid meta is left
 * alone, and starts a fresh trace).
 */
export function exposePageTraceparent(tp: string | undefined): void {
  try {
    if (!tp || document.querySelector('meta[name="traceparent"]')) return;
    const meta = document.createElement('meta');
    meta.name = 'traceparent';
    meta.content = tp;
    document.head.appendChild(meta);
  } catch {
    // no head yet or a locked-down document: documentLoad starts its own trace
  }
}
