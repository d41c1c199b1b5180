import type { Attributes } from '@opentelemetry/api';
import type { RequestRecord } from './hub';

/** A request record as its CLIENT span says it; `failed` is its `error.type`, if it failed. */
export interface RequestSpan {
  name: string;
  attributes: Attributes;
  failed?: string;
}

/** Scheme's `s`, host (an IPv6 one in brackets, as URL.hostname gives it) and port of a serialized URL, past any user info. */
const AUTHORITY = /^http(s?):\/\/(?:[^@/]*@)?(\[.*?\]|[^:/]*):?(\d*)/;

/**
 * The span name and HTTP client attributes of a request record, for the agent and for the
 * loader's own exit alike (lent to the agent); `url` is `url.full` as it is to be sent.
 * The method is the one recorded: fetch and XHR already upper-case the standard methods,
 * and the agent maps any other to `_OTHER` (core/httpMethod.ts), whose list would cost the
 * loader about 120 bytes gzip for methods a page rarely sends.
 */
export function requestSpan(r: RequestRecord, url = r.u): RequestSpan {
  // `r.u` is an http(s) URL as the URL parser serialized it (`href`: lower-case scheme and
  // host, default port left out), so its host and port are read off the string: a second
  // parse cost more than the rest of this function in Chromium (BENCH_PROFILE).
  const [, scheme, host, port] = AUTHORITY.exec(r.u) ?? [];
  const failed = r.x ?? (r.c! >= 400 ? '' + r.c : undefined);
  const attributes: Attributes = {
    'http.request.method': r.m,
    'url.full': url,
    'server.address': host,
    'server.port': +port || (scheme == 's' ? 443 : 80),
  };
  if (r.c) attributes['http.response.status_code'] = r.c;
  if (failed) attributes['error.type'] = failed;
  return { name: r.m, attributes, failed };
}
