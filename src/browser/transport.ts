import { fetchTransport, type Transport } from '../core/transport';
import { utf8Length } from '../core/otlp';

// Captured when the bundle is evaluated, before the fetch instrumentation wraps it,
// so exports are never traced and never carry a traceparent.
const nativeFetch: typeof fetch | undefined = typeof fetch === 'function' ? fetch : undefined;

/** Chromium, Firefox and Safari give a page 64 KiB of keepalive/beacon body in flight. */
export const KEEPALIVE_BUDGET = 64 * 1024;

export interface BrowserTransport extends Transport {
  /**
   * Hands a body to the browser at page exit, synchronously: true when it took it, false
   * when the body must be kept (stored) for the next page view.
   */
  sendAtExit(body: string): boolean;
}

/**
 * While the page is visible: `fetch` with keepalive, so 429/503 are seen and an export in
 * flight survives a navigation. At exit: `sendBeacon` with an application/json Blob (no
 * custom headers possible), else `fetch(keepalive)` while the 64 KiB budget allows.
 */
export function browserTransport(endpoint: string, headers: Record<string, string>): BrowserTransport {
  const f = nativeFetch ?? ((...args: Parameters<typeof fetch>) => fetch(...args));
  let inflight = 0;
  // Keepalive bodies in flight count against the page's budget until they settle.
  const tracked: typeof fetch = (input, init) => {
    const bytes = typeof init?.body === 'string' ? utf8Length(init.body) : 0;
    inflight += bytes;
    const settle = () => {
      inflight -= bytes;
    };
    try {
      const p = f(input, init);
      p.then(settle, settle);
      return p;
    } catch (e) {
      settle();
      return Promise.reject(e);
    }
  };
  const keepalive = fetchTransport(endpoint, headers, tracked, { keepalive: true });
  const plain = fetchTransport(endpoint, headers, f);
  const canBeacon = typeof navigator !== 'undefined' && typeof navigator.sendBeacon === 'function' && !Object.keys(headers).length;
  return {
    send: (body) => (utf8Length(body) + inflight > KEEPALIVE_BUDGET ? plain : keepalive).send(body),
    sendAtExit(body) {
      try {
        if (canBeacon && navigator.sendBeacon(endpoint, new Blob([body], { type: 'application/json' }))) return true;
      } catch {
        // A CSP or an unusable URL: try fetch below.
      }
      const bytes = utf8Length(body);
      if (inflight + bytes > KEEPALIVE_BUDGET) return false;
      tracked(endpoint, {
        method: 'POST',
        keepalive: true,
        headers: { 'content-type': 'application/json', ...headers },
        body,
      }).catch(() => {});
      return true;
    },
  };
}
