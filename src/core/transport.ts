/** What became of one export request. */
export type SendOutcome =
  | { kind: 'ok' }
  | { kind: 'retry'; afterMs?: number; network?: true } // 429, 502, 503, 504, network error
  | { kind: 'too_large' } // 413: split and retry the halves
  | { kind: 'rejected'; status: number }; // anything else: retrying cannot help

export interface Transport {
  send(body: string): Promise<SendOutcome>;
}

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

/**
 * POSTs OTLP/JSON with `fetch`. `fetchImpl` is the runtime's fetch captured before any
 * instrumentation wrapped it, and is called as a plain function: workerd throws
 * "Illegal invocation" when fetch is called as a method of another object.
 */
export function fetchTransport(endpoint: string, headers: Record<string, string>, fetchImpl: FetchFn, init: RequestInit = {}): Transport {
  const allHeaders = { 'content-type': 'application/json', ...headers };
  return {
    async send(body) {
      try {
        const res = await fetchImpl(endpoint, { ...init, method: 'POST', headers: allHeaders, body });
        // Drain the body so the connection is reused; errors here do not matter.
        res.body?.cancel().catch(() => {});
        return classifyStatus(res.status, res.headers.get('retry-after'));
      } catch {
        return { kind: 'retry', network: true };
      }
    },
  };
}
