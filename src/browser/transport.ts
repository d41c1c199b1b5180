import { answeredBy, exportHeaders, fetchTransport, type SendOutcome, type Transport } from '../core/transport';
import { utf8Length } from '../core/otlp';
import { gzipAsync, type GzipBody } from '../core/gzip';
import { gzipSync } from '../core/gzipSync';
import { KEEPALIVE_BUDGET } from './constants';

// Captured when the bundle is evaluated, before the fetch instrumentation wraps it,
// so exports are never traced and never carry a traceparent.
const nativeFetch: typeof fetch | undefined = typeof fetch === 'function' ? fetch : undefined;

/** How long a beacon is assumed to hold its share of the budget (its completion cannot be seen). */
const BEACON_HOLD_MS = 3000;
/** Chromium frees a keepalive fetch's share a little after its promise settles. */
const SETTLED_HOLD_MS = 1000;
/**
 * How long a keepalive fetch's network error waits for `pagehide` before it is believed:
 * Chromium rejects one in flight when a navigation commits, a task before `pagehide`, and
 * still delivers it. Believed at once, the batch was retried at exit: sent twice.
 */
const LEAVE_GRACE_MS = 1000;
/** Where what a collector made of gzip is remembered (`ok|no <ms>`), and for how long: it may be reconfigured. */
const GZIP_KEY = 'tracelet.gzip:';
const GZIP_MEMORY_MS = 24 * 60 * 60 * 1000;
/**
 * Compressed/plain size assumed for an exit body before one was compressed: gzipSync
 * brings OTLP JSON to about 0.14 (one span alone about 0.5). Past it, the last one seen.
 */
const EXIT_RATIO = 0.3;
/** About what a gzipped exit body costs beyond its spans (resource and envelope, compressed). */
const GZIP_ENVELOPE = 1024;

export interface BrowserTransport extends Transport {
  /**
   * True from `pagehide` until a bfcache restore (`leave()`, `restored()`). Chromium rejects
   * the promise of a keepalive fetch in flight when the page unloads (after pagehide) yet
   * still delivers it when no CORS preflight is pending (same-origin, or a preflight already
   * answered and cached): counting that as a failure would send the batch twice. One cut
   * while its first preflight is pending may or may not arrive (it depends on how far the
   * preflight got), so it is sent again, and `spansPerExport` keeps it to one span.
   */
  readonly leaving: boolean;
  /** The page is being left (`pagehide`). */
  leave(): void;
  /** The page came back from the bfcache: keepalive fetches left in flight are given up. */
  restored(): void;
  /**
   * 1 until the collector first answers a cross-origin page, so an exit cannot leave the
   * fate of more than one span unknown; no limit after (the pipeline's `sendLimit`).
   */
  spansPerExport(): number;
  /**
   * Bytes of (uncompressed) body the browser would still take at exit, now, sent plain or
   * (`gzipped`, by default when the collector is known to take it) gzipped. Gzipped, the
   * budget counts compressed bytes, so this is an estimate from the compression ratio;
   * `sendAtExit` checks the real size.
   */
  exitRoom(gzipped?: boolean): number;
  /**
   * Cross-origin, before any gzipped export was answered (`auto`): whether the collector's
   * CORS allows Content-Encoding is not known. An exit then sends plain JSON as far as
   * `plainRoomBeside(total, sample)` of its `total` bytes (`sample`: a body like the rest,
   * to measure how well it compresses), and the rest gzipped on a guess, keeping a copy
   * until a page view learns the answer (`whenKnown`).
   */
  guessing(): boolean;
  plainRoomBeside(total: number, sample: string): number;
  /** Calls `cb` once what the collector makes of gzip is known (at once if it is). */
  whenKnown(cb: (gzip: 'ok' | 'no') => void): void;
  /**
   * True while the export in flight could not survive the page being left: its body is still
   * being gzipped (no request yet), or it goes by plain fetch (past the keepalive budget),
   * which the browser cancels. The exit path then takes its spans; this export does not post.
   */
  readonly unprotected: boolean;
  /**
   * Hands a body to the browser at page exit, synchronously, plain or gzipped (as
   * `exitRoom`): true when it took it, false when the body must be kept (stored) for the
   * next page view.
   */
  sendAtExit(body: string, gzipped?: boolean): boolean;
}

/**
 * `auto`: gzip, and cross-origin at exit only once the collector took a gzipped body.
 * `gzip`: the site knows its collector takes gzip (CORS allows Content-Encoding), so exit
 * bodies are gzipped from the first page view on; a refusal still falls back. `none`: never.
 */
export type Compression = 'auto' | 'gzip' | 'none';

/**
 * While the page is visible: `fetch` with keepalive, so 429/503 are seen and an export in
 * flight survives a navigation, the body gzipped by CompressionStream where there is one.
 * At exit: `fetch(keepalive)` with a body gzipped synchronously where the collector takes
 * gzip (a beacon cannot set Content-Encoding), else `sendBeacon` with an application/json
 * Blob (no custom headers possible), else `fetch(keepalive)`, while the 64 KiB budget allows.
 *
 * gzip is given up, for a day, when the collector refuses it: 415 (or a 400 that plain
 * JSON does not get), or cross-origin, a CORS preflight that does not allow
 * Content-Encoding (the Collector's default `cors` allows only the safelisted headers
 * and Content-Type). The refused body is sent again at once as plain JSON.
 */
export function browserTransport(endpoint: string, headers: Record<string, string>, compression: Compression = 'auto'): BrowserTransport {
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
  const size = (body: string | GzipBody) => (typeof body === 'string' ? utf8Length(body) : body.length);
  // Keepalive fetches in flight, each with what gives it up. WebKit never settles one left in
  // flight when the page is restored from its bfcache (issue 16, bug 1): the restore gives it up.
  const pending = new Set<() => void>();
  let restores = 0;
  let leaving = false;
  const tracked: typeof fetch = (input, init) => {
    const bytes = init?.body ? size(init.body as string | GzipBody) : 0;
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
  // Same-origin requests need no preflight; cross-origin ones once a preflight was answered
  // (gzipped ones ask for Content-Encoding too: a preflight of their own).
  const sameOrigin = typeof location !== 'undefined' && new URL(endpoint, location.href).origin === location.origin;
  let preflightPassed = sameOrigin;
  let gzipPassed = sameOrigin;
  // 'ok' once the collector answered a gzipped body; 'no' once it refused one. Remembered
  // for a day, so a page view left before its first export still knows.
  let gzip: 'unknown' | 'ok' | 'no' | undefined = compression === 'none' ? 'no' : undefined;
  const gzipState = () => {
    if (gzip === undefined) {
      gzip = 'unknown';
      try {
        const [v, at] = (localStorage.getItem(GZIP_KEY + endpoint) ?? '').split(' ');
        if ((v === 'ok' || v === 'no') && Date.now() - Number(at) < GZIP_MEMORY_MS) gzip = v;
      } catch {
        // No storage (a sandboxed frame): ask the collector again next time.
      }
    }
    return gzip;
  };
  const waiting: ((v: 'ok' | 'no') => void)[] = [];
  const learn = (v: 'ok' | 'no') => {
    waiting.splice(0).forEach((cb) => cb(v));
    if (gzipState() === v) return;
    gzip = v;
    try {
      localStorage.setItem(GZIP_KEY + endpoint, v + ' ' + Date.now());
    } catch {}
  };
  let exitRatio = EXIT_RATIO;
  // The exit body gzipped last: a guessing exit measures the ratio on the batch it then sends
  // gzipped, and a second gzipSync of it would double the work of a handler Firefox may stop.
  let lastGzip: { body: string; gz: Uint8Array<ArrayBuffer> } | undefined;
  const gzipForExit = (body: string) => {
    if (lastGzip?.body !== body) {
      const raw = new TextEncoder().encode(body);
      lastGzip = { body, gz: gzipSync(raw) };
      // The next estimate, with a tenth to spare: cut a little short rather than refuse.
      exitRatio = (lastGzip.gz.length / Math.max(1, raw.length)) * 1.1;
    }
    return lastGzip.gz;
  };
  let offline = false;
  // Firefox before 133 has no keepalive (no Request.keepalive either): a fetch started at exit
  // dies with the page there, so only a beacon can leave.
  const keepaliveWorks = typeof Request === 'function' && 'keepalive' in Request.prototype;
  // At exit there is no second chance: cross-origin, gzip only once a preflight allowed it.
  const gzipAtExit = () => keepaliveWorks && (sameOrigin || compression === 'gzip' ? gzipState() !== 'no' : gzipState() === 'ok');
  const canBeacon = typeof navigator !== 'undefined' && typeof navigator.sendBeacon === 'function' && !Object.keys(headers).length;

  // Exports that would not survive an exit now (see `unprotected`), and how many exits began.
  let unprotected = 0;
  let exits = 0;
  const guarded = async <T>(p: () => Promise<T>): Promise<T> => {
    unprotected++;
    try {
      return await p();
    } finally {
      unprotected--;
    }
  };
  /** One POST: keepalive while the budget allows (see `leaving`), else a plain fetch. */
  const post = async (body: string | GzipBody): Promise<SendOutcome> => {
    if (size(body) > budgetLeft()) return guarded(() => plain.send(body));
    const restoresBefore = restores;
    const outcome = await keepalive.send(body);
    if (answeredBy(outcome)) {
      // An answer came back, so the CORS preflight passed (and is cached a while).
      preflightPassed = true;
      if (typeof body !== 'string') gzipPassed = true;
      return outcome;
    }
    if (!leaving && restores === restoresBefore) await new Promise((r) => setTimeout(r, LEAVE_GRACE_MS));
    // Given up at a bfcache restore, it was in flight when the page was left: the same case.
    return (leaving || restores !== restoresBefore) && (typeof body === 'string' ? preflightPassed : gzipPassed) ? { kind: 'ok' } : outcome;
  };

  const t: BrowserTransport = {
    get leaving() {
      return leaving;
    },
    leave() {
      if (!leaving) exits++;
      leaving = true;
    },
    restored() {
      if (leaving) {
        restores++;
        pending.forEach((giveUp) => giveUp());
      }
      leaving = false;
    },
    spansPerExport: () => (preflightPassed ? Infinity : 1),
    get unprotected() {
      return unprotected > 0;
    },
    async send(body) {
      // After gzip and plain JSON both failed on the network (offline, a CSP), plain only
      // until something answers: one failing request per attempt, not two.
      if (offline) {
        const outcome = await post(body);
        offline = !answeredBy(outcome);
        return outcome;
      }
      const exitsBefore = exits;
      const gz = gzipState() !== 'no' ? await guarded(() => gzipAsync(body)) : undefined;
      // The page was left while this body was gzipped: the exit path took its spans.
      if (exits !== exitsBefore) return { kind: 'ok' };
      if (!gz) return post(body);
      const outcome = await post(gz);
      if (t.leaving) return outcome;
      const status = outcome.kind === 'rejected' ? outcome.status : 0;
      // A network error cross-origin, before a gzipped body was answered in this page view:
      // maybe a CORS preflight that does not allow Content-Encoding. A 400 before gzip ever
      // worked: maybe a receiver that took the bytes for JSON. The same body as plain JSON tells.
      const doubt = status === 415 || (status === 400 && gzip === 'unknown') || (!answeredBy(outcome) && !gzipPassed);
      if (!doubt) {
        if (answeredBy(outcome)) learn('ok');
        return outcome;
      }
      const again = await post(body);
      if (again.kind === 'ok' || (answeredBy(again) && status !== 400)) learn('no');
      offline = !answeredBy(again);
      return again;
    },
    exitRoom(gzipped = gzipAtExit()) {
      const left = budgetLeft();
      return gzipped ? Math.floor(left / exitRatio) : left;
    },
    guessing: () => keepaliveWorks && !gzipAtExit() && gzipState() === 'unknown',
    plainRoomBeside(total, sample) {
      const left = budgetLeft();
      if (total <= left) return left;
      // The ratio measured on a body like the rest (a few ms of gzipSync): held back from
      // plain JSON, a byte is lost where the guess is refused; short, the guess stores spans.
      gzipForExit(sample);
      // Plain p and the rest gzipped: p + ratio × (total − p) + its envelope ≤ what is left.
      return Math.max(0, Math.floor((left - GZIP_ENVELOPE - exitRatio * total) / (1 - exitRatio)));
    },
    whenKnown(cb) {
      const v = gzipState();
      if (v === 'unknown') waiting.push(cb);
      else cb(v);
    },
    sendAtExit(body, gzipped = gzipAtExit()) {
      if (gzipped) {
        const gz = gzipForExit(body);
        lastGzip = undefined;
        if (gz.length > budgetLeft()) return false;
        tracked(endpoint, { method: 'POST', keepalive: true, headers: exportHeaders(headers, true), body: gz }).catch(() => {});
        return true;
      }
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
      tracked(endpoint, { method: 'POST', keepalive: true, headers: exportHeaders(headers, false), body }).catch(() => {});
      return true;
    },
  };
  return t;
}
