import { fetchTransport, type Transport } from '../core/transport';
import { utf8Length } from '../core/otlp';

// Captured when the bundle is evaluated, before the fetch instrumentation wraps it,
// so exports are never traced and never carry a traceparent.
const nativeFetch: typeof fetch | undefined = typeof fetch === 'function' ? fetch : undefined;

/** Chromium, Firefox and Safari give a page 64 KiB of keepalive/beacon body in flight. */
export const KEEPALIVE_BUDGET = 64 * 1024;
/** How long a beacon is assumed to hold its share of the budget (its completion cannot be seen). */
const BEACON_HOLD_MS = 3000;
/** Chromium frees a keepalive fetch's share a little after its promise settles. */
const SETTLED_HOLD_MS = 1000;

export interface BrowserTransport extends Transport {
  /**
   * Set from `pagehide` until a bfcache restore. Chromium rejects the promise of a
   * keepalive fetch in flight when the page unloads (after pagehide) yet still delivers it
   * when no CORS preflight is pending (same-origin, or a preflight already answered and
   * cached): counting that as a failure would send the batch twice. One cut while its
   * first preflight is pending may or may not arrive (it depends on how far the preflight
   * got), so it is sent again, and `answered` keeps it to one span.
   */
  leaving: boolean;
  /**
   * False until the collector first answers a cross-origin page: until then each export
   * carries one span, so an exit cannot leave the fate of more than one span unknown.
   */
  readonly answered: boolean;
  /** Bytes of body the browser would still take at exit, now. */
  exitRoom(): number;
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
  // Beacons cannot be watched to completion, and Chromium frees a keepalive fetch's share
  // of the budget a little after its promise settles: count both for a while.
  let handed: { bytes: number; until: number }[] = [];
  const hold = (bytes: number, ms: number) => handed.push({ bytes, until: Date.now() + ms });
  const budgetLeft = () => {
    const now = Date.now();
    handed = handed.filter((h) => h.until > now);
    return KEEPALIVE_BUDGET - inflight - handed.reduce((n, h) => n + h.bytes, 0);
  };
  // Keepalive fetches in flight, each with what gives it up. WebKit never settles one left in
  // flight when the page is restored from its bfcache (issue 16, bug 1): the restore gives it up.
  const pending = new Set<() => void>();
  let restores = 0;
  let leaving = false;
  const tracked: typeof fetch = (input, init) => {
    const bytes = typeof init?.body === 'string' ? utf8Length(init.body) : 0;
    inflight += bytes;
    let giveUp = () => {};
    const settle = () => {
      if (!pending.delete(giveUp)) return;
      inflight -= bytes;
      hold(bytes, SETTLED_HOLD_MS);
    };
    try {
      const p = f(input, init);
      return new Promise<Response>((resolve, reject) => {
        giveUp = () => (settle(), reject(new TypeError('given up at a bfcache restore')));
        pending.add(giveUp);
        p.then((r) => (settle(), resolve(r)), (e) => (settle(), reject(e)));
      });
    } catch (e) {
      inflight -= bytes;
      return Promise.reject(e);
    }
  };
  const keepalive = fetchTransport(endpoint, headers, tracked, { keepalive: true });
  const plain = fetchTransport(endpoint, headers, f);
  // Same-origin requests need no preflight; cross-origin ones once a preflight was answered.
  let preflightPassed = typeof location !== 'undefined' && new URL(endpoint, location.href).origin === location.origin;
  const canBeacon = typeof navigator !== 'undefined' && typeof navigator.sendBeacon === 'function' && !Object.keys(headers).length;
  const t: BrowserTransport = {
    get leaving() {
      return leaving;
    },
    set leaving(v) {
      if (leaving && !v) {
        restores++;
        pending.forEach((giveUp) => giveUp());
      }
      leaving = v;
    },
    get answered() {
      return preflightPassed;
    },
    async send(body) {
      if (utf8Length(body) > budgetLeft()) return plain.send(body);
      const restoresBefore = restores;
      const outcome = await keepalive.send(body);
      if (!(outcome.kind === 'retry' && outcome.network)) {
        // An answer came back, so the CORS preflight passed (and is cached a while).
        preflightPassed = true;
        return outcome;
      }
      // Given up at a restore, it was in flight when the page was left: the same case.
      return (t.leaving || restores !== restoresBefore) && preflightPassed ? { kind: 'ok' } : outcome;
    },
    exitRoom: budgetLeft,
    sendAtExit(body) {
      const bytes = utf8Length(body);
      // Past the page's budget the browser refuses, or (keepalive fetch) fails later, silently.
      if (bytes > budgetLeft()) return false;
      try {
        if (canBeacon && navigator.sendBeacon(endpoint, new Blob([body], { type: 'application/json' }))) {
          hold(bytes, BEACON_HOLD_MS);
          return true;
        }
      } catch {
        // A CSP or an unusable URL: try fetch below.
      }
      tracked(endpoint, {
        method: 'POST',
        keepalive: true,
        headers: { 'content-type': 'application/json', ...headers },
        body,
      }).catch(() => {});
      return true;
    },
  };
  return t;
}
