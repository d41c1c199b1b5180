import { fetchTransport, type Transport } from '../core/transport';

// Captured when the bundle is evaluated, before the fetch instrumentation wraps it,
// so exports are never traced and never carry a traceparent.
const nativeFetch: typeof fetch | undefined = typeof fetch === 'function' ? fetch : undefined;

/**
 * While the page is visible: `fetch` with keepalive, so 429/503 are seen and an export
 * in flight survives a navigation. Batches are at most 60 KiB, inside the 64 KiB
 * keepalive budget.
 */
export function browserTransport(endpoint: string, headers: Record<string, string>): Transport {
  const f = nativeFetch ?? ((...args: Parameters<typeof fetch>) => fetch(...args));
  return fetchTransport(endpoint, headers, f, { keepalive: true });
}
