import type { GzipBody } from './gzip';

/** What became of one export request. */
export type SendOutcome =
  | { kind: 'ok' }
  | { kind: 'retry'; afterMs?: number; network?: true } // 429, 502, 503, 504, network error
  | { kind: 'too_large' } // 413: split and retry the halves
  | { kind: 'rejected'; status: number }; // anything else: retrying cannot help

export interface Transport {
  send(body: string): Promise<SendOutcome>;
}

/** True when the outcome came from the collector (not a network error, a CORS refusal included). */
export const answeredBy = (o: SendOutcome) => !(o.kind === 'retry' && o.network);

const RETRYABLE = [429, 502, 503, 504];

/** Retry-After as seconds or an HTTP date, in ms; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export function classifyStatus(status: number, retryAfter: string | null): SendOutcome {
  if (status >= 200 && status < 300) return { kind: 'ok' };
  if (status === 413) return { kind: 'too_large' };
  if (RETRYABLE.includes(status)) return { kind: 'retry', afterMs: parseRetryAfter(retryAfter) };
  return { kind: 'rejected', status };
}

type FetchFn = typeof fetch;

/** Headers of an export: JSON, gzipped (`Content-Encoding: gzip`, which OTLP/HTTP receivers accept) or not. */
export function exportHeaders(headers: Record<string, string>, gzip: boolean): Record<string, string> {
  return { 'content-type': 'application/json', ...(gzip && { 'content-encoding': 'gzip' }), ...headers };
}

/**
 * POSTs OTLP/JSON with `fetch`; a byte body is a gzip member and goes with
 * `Content-Encoding: gzip`. `fetchImpl` is the runtime's fetch captured before any
 * instrumentation wrapped it, and is called as a plain function: workerd throws
 * "Illegal invocation" when fetch is called as a method of another object.
 */
export function fetchTransport(endpoint: string, headers: Record<string, string>, fetchImpl: FetchFn, init: RequestInit = {}) {
  const plain = exportHeaders(headers, false);
  const gzipped = exportHeaders(headers, true);
  return {
    async send(body: string | GzipBody): Promise<SendOutcome> {
      try {
        const res = await fetchImpl(endpoint, { ...init, method: 'POST', headers: typeof body === 'string' ? plain : gzipped, body });
        // Drain the body so the connection is reused; errors here do not matter.
        res.body?.cancel().catch(() => {});
        return classifyStatus(res.status, res.headers.get('retry-after'));
      } catch {
        return { kind: 'retry', network: true };
      }
    },
  };
}
