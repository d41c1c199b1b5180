import type { Ids } from './hub';

/**
 * The server span that served this page: `<meta name="traceparent">`, else the navigation's
 * Server-Timing `traceparent;desc=…` or, as Trace Context Level 3 drafts it, `trace;desc=…`.
 * Only a valid version-00 value counts.
 */
export function pageIds(): Ids | undefined {
  try {
    const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
    const v =
      document.querySelector('meta[name="traceparent"]')?.getAttribute('content') ??
      nav?.serverTiming?.find((t) => t.name === 'traceparent' || t.name === 'trace')?.description;
    const m = /^[\t\n\f\r ]*00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})[\t\n\f\r ]*$/.exec(v ?? '');
    if (m && !/^0+$/.test(m[1]) && !/^0+$/.test(m[2])) return { t: m[1], p: m[2], f: parseInt(m[3], 16) };
  } catch {
    // no Performance or DOM access: a page of its own
  }
  return undefined;
}
