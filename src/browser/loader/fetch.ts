import type { Hub } from './hub';
import { begin, end, propagates, traceparent, TRACE_HEADERS } from './records';

/*
 * `fetch`, recorded, and otherwise exactly the native one. The page's call is turned into
 * the Request that fetch itself would build (`new Request(input, init)`, which reads each
 * init member once, as fetch does), except a plain `fetch(url)`; what that constructor
 * refuses, a call with no argument or another `this` goes to the native fetch untouched, to
 * fail as it would without us.
 * The caller's Request and init are never written to, a trace header the caller set is
 * kept (and ours not added), and the page gets the native promise itself: the record ends
 * in a side reaction at the response headers, and the agent takes the rest (body end,
 * network timing) from Resource Timing.
 */
export function captureFetch(h: Hub): () => void {
  const native = globalThis.fetch;
  if (typeof native !== 'function') return () => {};
  // A method like the native fetch: no prototype, not a constructor, length 1.
  const ours = {
    fetch(this: unknown, input?: RequestInfo | URL): Promise<Response> {
      // eslint-disable-next-line prefer-rest-params
      const args = arguments as unknown as Parameters<typeof fetch>;
      let req: Request | undefined;
      let url: string | undefined;
      if (h.on && args.length && (this === undefined || this === globalThis)) {
        try {
          if (typeof input == 'string' && args[1] === undefined) {
            // fetch(url), the most common call: resolved as fetch resolves it, and no Request
            // of ours, which fetch would copy (about 40 µs more per call in Chromium). A URL
            // with credentials, which fetch refuses, goes to the native fetch untouched.
            const u = new URL(input, document.baseURI);
            if (!u.username && !u.password) url = u.href;
          } else url = (req = new Request(input!, args[1])).url;
        } catch {
          // refused: the native fetch throws the same below
        }
      }
      const r = url && begin(h, 'fetch', req ? req.method : 'GET', url);
      if (!r) return native.apply(this, args);
      const tp = propagates(h, r.u) && (!req || !TRACE_HEADERS.some((n) => req!.headers.has(n))) && traceparent(r);
      if (tp && req) req.headers.set('traceparent', tp);
      // A plain call: the native fetch refuses any `this` but the window.
      const f = native;
      // An init of headers alone is, for a string, the same request with one more header.
      const p = req ? f(req) : tp ? f(input!, { headers: { traceparent: tp } }) : f(input!);
      p.then(
        (res) => end(h, r, res.status),
        (e) => end(h, r, 0, (e as Error)?.name || 'Error'),
      );
      return p;
    },
  }.fetch;
  try {
    globalThis.fetch = ours;
  } catch {
    // fetch is locked (non-writable): nothing to capture
  }
  // Unless someone wrapped ours since: then ours stays, passing through (`h.on` is false).
  return () => void (globalThis.fetch === ours && (globalThis.fetch = native));
}
