import { SpanStatusCode, type HrTime, type Span } from '@opentelemetry/api';
import { hrTime } from '@opentelemetry/core';
import { FetchInstrumentation, type FetchInstrumentationConfig } from '@opentelemetry/instrumentation-fetch';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { TRACE_HEADERS } from '../core/propagation';
import type { BrowserConfig } from './options';
import { watchResource } from './lib/resources';

/*
 * instrumentation-fetch, made invisible to the page. Its wrapper, called directly, differs
 * from the native fetch: it throws synchronously where fetch rejects, turns a missing or
 * Symbol argument or a Request from another realm into a URL string, writes the traceparent
 * into the caller's own Request or init (a frozen init throws), overwrites a traceparent
 * the caller set, reads init getters twice, is constructible, and tees every response body
 * and reads its copy, so a page that cancels a stream never closes the connection.
 *
 * So the instrumentation only ever sees a Request we built, the way fetch itself starts:
 * `new Request(input, init)`. Whatever that constructor refuses goes to the native fetch
 * untouched, to fail exactly as it would without us. The instrumentation's patched fetch
 * sits between our fetch and the native one:
 *
 *   page → fetch (ours) → instrumentation-fetch (span, traceparent) → toNative → native fetch
 *
 * `toNative` puts back trace headers the caller set (theirs win: the agent then sets
 * neither), and hands the instrumentation a stand-in response, so the page's response is
 * never cloned nor held. The span ends when the body does: Chromium adds a fetch's
 * Resource Timing entry once the page has read the body to its end. A body the page does
 * not read (or drops, or cancels), an endless stream, data: and blob: URLs get no entry:
 * their spans end at the response headers.
 * With its entry (from lib/resources) the span ends at once, at responseEnd, with the
 * entry's timing as events: no observer per request, no 300 ms wait.
 */

/** How often the bodies waited for are looked at (one timer for all). */
const CHECK_MS = 500;
/** A body still arriving after this long (an endless stream) ends the span at the headers. */
const MAX_BODY_MS = 60_000;

const waiting = new Set<{ ref: WeakRef<Response>; headersAt: number; giveUp(): void }>();
let checker: ReturnType<typeof setTimeout> | undefined;

/** A body the page has not started reading (or dropped), or reads too long, gets no entry. */
function check() {
  checker = undefined;
  const now = Date.now();
  for (const w of waiting) if (!w.ref.deref()?.bodyUsed || now - w.headersAt >= MAX_BODY_MS) w.giveUp();
  if (waiting.size) checker = setTimeout(check, CHECK_MS);
}

/** Each span's entry, once it came. */
const timing = new WeakMap<Span, PerformanceResourceTiming>();

type SpanData = { entries: PerformanceResourceTiming[]; startTime: HrTime; spanUrl: string };
type Ended = Pick<Response, 'status' | 'url'>;
/** The instrumentation's private methods (0.223.0) replaced or called. */
interface Internals {
  _prepareSpanData(spanUrl: string): SpanData;
  _endSpan(span: Span, data: SpanData, response: Ended): void;
  _addFinalSpanAttributes(span: Span, response: Ended): void;
  _findResourceAndAddNetworkEvents(span: Span, data: SpanData, endTime: HrTime): void;
}

type StandIn = Pick<Response, 'status' | 'statusText' | 'url'> & { real?: Response; clone(): { body: unknown } };

/**
 * Watches for the entry of the fetch of `url` starting now: registered before the request
 * starts, so a small body cannot be reported before anyone listens. `read()` resolves when
 * the body ends; when the page has not started reading it by the next check (or reads for
 * over MAX_BODY_MS), the span ends at the headers. `stop()`: no entry will come.
 */
function watchEnd(url: string, span: Span) {
  let arrived = false;
  let wake = () => {};
  const from = performance.now();
  const stop = () => {
    unwatch?.();
    arrived = true;
    wake();
  };
  // (Timestamps are coarsened: an entry may start a hair before we did.)
  const unwatch = watchResource('fetch', url, (e) => e.startTime > from - 5 && (timing.set(span, e), stop(), true));
  if (!unwatch) arrived = true;
  return {
    stop,
    read: (res: Response) =>
      new Promise<{ done: true }>((resolve) => {
        // Held weakly: a response the page drops is collected as without us.
        const w = {
          ref: new WeakRef(res),
          headersAt: Date.now(),
          giveUp() {
            const end = span.end;
            span.end = () => end.call(span, w.headersAt);
            stop();
          },
        };
        wake = () => {
          waiting.delete(w);
          resolve({ done: true });
        };
        if (arrived) return wake();
        waiting.add(w);
        // Never before the page's own continuation of the fetch: has it started reading?
        checker ??= setTimeout(check, CHECK_MS);
      }),
  };
}

/** A CLIENT span per `fetch`; `traceparent` only to the same origin and `propagateTo`, never over the caller's own. */
export function instrumentFetch(config: BrowserConfig): Instrumentation {
  /** The span of each request we pass on (from the instrumentation's request hook). */
  const spans = new WeakMap<Request, Span>();
  /** Trace headers the caller set on a request we pass on. */
  const callers = new WeakMap<Request, (string | null)[]>();
  let native: typeof fetch;
  let patched: ((req: Request) => Promise<StandIn>) | undefined;
  let on = false;
  /** Set while ours runs synchronously: a nested call (someone's wrapper between two of ours) passes through. */
  let depth = 0;

  const toNative = (req: Request): Promise<StandIn> => {
    const mine = callers.get(req);
    if (mine) TRACE_HEADERS.forEach((name, i) => (mine[i] === null ? req.headers.delete(name) : req.headers.set(name, mine[i]!)));
    const span = spans.get(req);
    const end = span && /^https?:/.test(req.url) ? watchEnd(req.url, span) : undefined;
    // A plain call: the native fetch refuses any `this` but the window.
    const f = native;
    return f(req).then(
      (res) => {
        const body = res.body && end ? { getReader: () => ({ read: () => end.read(res) }) } : (end?.stop(), null);
        return { status: res.status, statusText: res.statusText, url: res.url || req.url, real: res, clone: () => ({ body }) };
      },
      (e) => {
        end?.stop();
        throw e;
      },
    );
  };

  // What the page calls: a method like the native fetch (no prototype, not a constructor, length 1).
  const ours = {
    fetch(this: unknown, input?: RequestInfo | URL, ...rest: [RequestInit?]): Promise<Response> {
      // eslint-disable-next-line prefer-rest-params
      const args = arguments as unknown as Parameters<typeof fetch>;
      // No argument, another `this` (both of which the native fetch refuses), a nested call,
      // or after shutdown: the native fetch, untouched.
      if (!on || depth || !args.length || (this !== undefined && this !== globalThis)) return native.apply(this, args);
      let req: Request;
      try {
        req = new Request(input!, rest[0]);
      } catch {
        return native.apply(this, args);
      }
      if (TRACE_HEADERS.some((h) => req.headers.has(h))) callers.set(req, TRACE_HEADERS.map((h) => req.headers.get(h)));
      depth++;
      try {
        return patched!(req).then((r) => {
          const res = r.real!;
          delete r.real;
          return res;
        });
      } finally {
        depth--;
      }
    },
  }.fetch;

  class TraceletFetch extends FetchInstrumentation {
    constructor(c: FetchInstrumentationConfig) {
      super(c);
      const self = this as unknown as Internals;
      // No observer per request: watchEnd finds the entry.
      self._prepareSpanData = (spanUrl) => ({ entries: [], startTime: hrTime(), spanUrl });
      // The entry came, or never will: end now, at responseEnd (its delivery may lag).
      self._endSpan = (span, data, response) => {
        const e = timing.get(span);
        self._addFinalSpanAttributes(span, response);
        if (response.status >= 400) {
          span.setStatus({ code: SpanStatusCode.ERROR });
          span.setAttribute('error.type', String(response.status));
        }
        if (e) self._findResourceAndAddNetworkEvents(span, { ...data, entries: [e] }, hrTime());
        span.end(e?.responseEnd || Date.now());
      };
    }

    override enable(): void {
      if (on || typeof globalThis.fetch !== 'function') return;
      if (!patched) {
        native = globalThis.fetch;
        // The instrumentation wraps `toNative` instead of the global fetch.
        const holder = { fetch: toNative as unknown as typeof fetch };
        const wrap = this._wrap;
        this._wrap = ((_nodule: unknown, name: 'fetch', wrapper: never) => wrap(holder, name, wrapper)) as typeof wrap;
        try {
          super.enable();
        } finally {
          this._wrap = wrap;
        }
        if ((holder.fetch as unknown) === toNative) return; // no browser performance API
        patched = holder.fetch as unknown as typeof patched;
      } else super.enable();
      try {
        // Ours goes on, unless it is still there or under someone else's wrapper.
        if (globalThis.fetch === native) globalThis.fetch = ours;
        on = true;
      } catch {
        // fetch is locked (non-writable): nothing to instrument.
        super.disable();
      }
    }

    override disable(): void {
      if (!on) return;
      on = false;
      super.disable();
      // The page's fetch comes back, unless someone wrapped ours since: then ours passes through.
      if (globalThis.fetch === ours) globalThis.fetch = native;
    }
  }

  return new TraceletFetch({
    // Not from the base constructor: init() enables it.
    enabled: false,
    requestHook: (span, req) => spans.set(req as Request, span),
    propagateTraceHeaderCorsUrls: config.propagateTo,
    ignoreUrls: config.ignoreUrls,
  });
}
