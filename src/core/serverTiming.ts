import { formatTraceparent, parseTraceparent } from './propagation';

/*
 * The server span's traceparent in a response's Server-Timing. Vendors (and tracelet's
 * edge by default) send `traceparent;desc="00-…"`; Trace Context Level 3 (editor's draft,
 * 2025-10) replaced the `traceresponse` header with `trace;desc=00-…`.
 */

/** The entry name vendors send today. */
export const TIMING_TRACEPARENT = 'traceparent';
/** The entry name of Trace Context Level 3 (draft). */
export const TIMING_TRACE = 'trace';

/** One Server-Timing entry, as `PerformanceServerTiming` gives it. */
export interface ServerTimingEntry {
  readonly name: string;
  readonly description: string;
}

/** Entries looked at: a real header has a handful. */
const MAX_ENTRIES = 64;

/** SP / HTAB around a value are optional white space (W3C). */
const trimOws = (v: string) => v.replace(/^[ \t]+|[ \t]+$/g, '');

/**
 * The traceparent of the server span among a response's Server-Timing entries (for the
 * browser: `navigationEntry.serverTiming`): the first valid `traceparent;desc=`, else the
 * first valid `trace;desc=`. Undefined when there is none; never throws, whatever it is given.
 */
export function traceparentFromServerTiming(entries: unknown): string | undefined {
  try {
    const list = entries as ArrayLike<Partial<ServerTimingEntry> | null | undefined>;
    const n = list && typeof list.length === 'number' ? Math.min(list.length, MAX_ENTRIES) : 0;
    for (const name of [TIMING_TRACEPARENT, TIMING_TRACE]) {
      for (let i = 0; i < n; i++) {
        const e = list[i];
        const desc = e?.name === name ? e.description : undefined;
        if (typeof desc === 'string' && parseTraceparent(desc)) return trimOws(desc);
      }
    }
  } catch {
    // A getter that throws, a hostile array-like: no server span.
  }
  return undefined;
}

/** The Server-Timing entries naming a span: `traceparent;desc="…"` and/or `trace;desc=…`. */
export function serverTimingEntries(names: readonly string[], traceId: string, spanId: string, flags: number): string {
  const tp = formatTraceparent(traceId, spanId, flags);
  // desc is a token or a quoted string; the Level 3 draft writes it bare, vendors quote it.
  return names.map((n) => (n === TIMING_TRACE ? n + ';desc=' + tp : n + ';desc="' + tp + '"')).join(', ');
}
