import { fetchTransport, type Transport } from '../core/transport';

/**
 * The runtime's fetch, captured when the bundle is evaluated, before `installFetch` wraps
 * the global: exports are never traced and never carry a traceparent.
 */
const nativeFetch: typeof fetch = globalThis.fetch;

/** The unwrapped fetch, called as a plain function (workerd: "Illegal invocation" otherwise). */
export function rawFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  return nativeFetch(input, init);
}

/**
 * OTLP over the native fetch, each request aborted after `timeoutMs`: a collector that
 * hangs must not outlive a Worker's `waitUntil` (30 s), or the export promise would never
 * settle and the pipeline, which keeps one request in flight, would stall for good.
 */
export function edgeTransport(endpoint: string, headers: Record<string, string>, timeoutMs: number): Transport {
  const timed: typeof fetch = (input, init) => rawFetch(input, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  return fetchTransport(endpoint, headers, timed);
}
