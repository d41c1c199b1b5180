/*
 * The W3C `traceparent` header, Level 2, on its own: no OpenTelemetry imports, so the
 * browser loader can use it without pulling the API into the page's first chunk.
 */

export const TRACEPARENT = 'traceparent';
export const TRACESTATE = 'tracestate';
/** The headers W3C Trace Context propagates. */
export const TRACE_HEADERS: readonly string[] = [TRACEPARENT, TRACESTATE];
export const FLAG_SAMPLED = 0x01;
/** Level 2: the trace id's rightmost 7 bytes are random. */
export const FLAG_RANDOM = 0x02;

/*
 * version-traceid-parentid-flags, lowercase hex, between optional SP/HTAB only (NBSP, BOM or
 * newlines make it invalid). A later version may append "-…" fields, which are ignored.
 */
const TRACEPARENT_RE = /^[ \t]*([\da-f]{2})-([\da-f]{32})-([\da-f]{16})-([\da-f]{2})(-[^]*)?[ \t]*$/;

export interface Traceparent {
  traceId: string;
  spanId: string;
  flags: number;
}

/** Parses a traceparent value; undefined when it is not valid W3C. */
export function parseTraceparent(value: unknown): Traceparent | undefined {
  const m = typeof value == 'string' && value.length <= 4096 && TRACEPARENT_RE.exec(value);
  // Version ff is invalid, and version 00 has exactly four fields; all-zero ids are invalid.
  if (!m || m[1] == 'ff' || (m[1] == '00' && m[5]) || /^0+$/.test(m[2]) || /^0+$/.test(m[3])) return undefined;
  // Of a future version we may only trust the sampled bit.
  return { traceId: m[2], spanId: m[3], flags: parseInt(m[4], 16) & (m[1] == '00' ? FLAG_SAMPLED | FLAG_RANDOM : FLAG_SAMPLED) };
}

export function formatTraceparent(traceId: string, spanId: string, flags: number): string {
  return '00-' + traceId + '-' + spanId + '-0' + (flags & (FLAG_SAMPLED | FLAG_RANDOM)).toString(16);
}
