import { formatTraceparent } from '../../core/traceparent';
import { MAX_RECORDS } from '../constants';
import { matchesAny } from '../../core/urlMatch';
import type { Hub, Ids, LoaderRecord, RequestRecord } from './hub';
import { hex, now } from './ids';

/** Keeps a record for the agent (or an exit), or hands it to the agent when it runs. */
export function emit(h: Hub, r: LoaderRecord): void {
  if (h.sink) h.sink(r);
  else if (h.q.length < MAX_RECORDS) h.q.push(r);
  else h.n++;
}

/** The ids a new record runs under: the active span (agent), the page's server span, or a new root. */
export function idsNow(h: Hub): Ids {
  const ids = h.parent?.() ?? h.pg;
  return ids ? { t: ids.t, p: ids.p, f: ids.f } : { t: hex(16), f: +h.smp };
}

/** A request starting now, or undefined when it is not traced (not http(s), the endpoint, ignoreUrls). */
export function begin(h: Hub, k: RequestRecord['k'], m: string, u: string): RequestRecord | undefined {
  if (!h.on || !/^https?:/i.test(u) || matchesAny(u, h.rx()[1])) return undefined;
  const r: RequestRecord = { k, m, u, i: hex(8), s: now(), ...idsNow(h) };
  // Unsampled requests still carry their `-00` flags, so the backend follows; nothing is kept.
  if (r.f & 1 && !h.sink) emit(h, r);
  return r;
}

/** The request ended (response headers, loadend, failure): the agent adopts it now. */
export function end(h: Hub, r: RequestRecord, status: number, error?: string): void {
  if (r.e) return;
  r.e = now();
  r.c = status;
  r.x = error;
  if (r.f & 1 && !r.d && h.sink) h.sink(r);
}

let own: string | undefined;
/**
 * Whether `url` may receive `traceparent`: same origin or `propagateTo`, never anywhere else.
 * The page's origin is read once: a document keeps its origin for its life.
 */
export const propagates = (h: Hub, url: string): boolean => (url + '/').startsWith((own ??= location.origin + '/')) || matchesAny(url, h.rx()[0]);

/** W3C `traceparent` for a request record. */
export const traceparent = (r: RequestRecord): string => formatTraceparent(r.t, r.i, r.f);

/** Trace headers the caller set itself: the agent then sets neither (theirs win). */
export const TRACE_HEADERS = ['traceparent', 'tracestate'];
