import { gzipText, type GzipBody } from '../core/gzip';
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

/** Gzips an export body; a runtime adapter may bring a cheaper one than CompressionStream. */
export type Gzip = (text: string) => Promise<GzipBody>;

export interface EdgeTransportOptions {
  endpoint: string;
  headers: Record<string, string>;
  timeoutMs: number;
  compression: 'gzip' | 'none';
  /** Default: CompressionStream. */
  gzip?: Gzip;
}

/**
 * OTLP over the native fetch. Each request is aborted after `timeoutMs`: a collector that
 * hangs must not outlive a Worker's `waitUntil` (30 s), or the export would never settle
 * and the pipeline, which keeps one request in flight, would stall for good. Bodies are
 * gzipped by default: span JSON shrinks about fivefold, well under 500 bytes a span.
 */
export function edgeTransport(opts: EdgeTransportOptions): Transport {
  // A runtime without CompressionStream sends plain JSON rather than nothing.
  const gzipped = opts.compression === 'gzip' && typeof CompressionStream === 'function';
  const gzip = opts.gzip ?? gzipText;
  const send: typeof fetch = async (input, init) => {
    const body = gzipped && typeof init?.body === 'string' ? await gzip(init.body) : init?.body;
    return rawFetch(input, { ...init, body, signal: AbortSignal.timeout(opts.timeoutMs) });
  };
  const headers = gzipped ? { ...opts.headers, 'content-encoding': 'gzip' } : opts.headers;
  return fetchTransport(opts.endpoint, headers, send);
}
