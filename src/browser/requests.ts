import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { methodAttributes } from '../core/httpMethod';
import { networkEvents } from '../core/networkEvents';
import type { RequestRecord } from './loader/hub';
import { endedSpan } from './agent/endedSpan';
import { requestSpan } from './loader/requestSpan';
import { watchResource } from './lib/resources';

/*
 * fetch and XHR spans, from the loader's records: the one wrapper of each is the loader's
 * (see loader/fetch.ts, loader/xhr.ts), so the page's call costs only what the loader does.
 * The span is built here, off the page's call: a CLIENT span with the semantic conventions'
 * HTTP attributes, ended at its Resource Timing entry's responseEnd with the entry's timing
 * as events (only those that carry information). Chromium adds a fetch's entry once the page has read the body to its end; a
 * body the page does not read, cancels (WebKit then makes no entry at all) or streams for
 * longer than MAX_WAIT_MS gets none in time, and its span ends at the response headers.
 */

/** How long a request's entry is waited for after its headers. */
const MAX_WAIT_MS = 5000;
/** How often the requests waiting for an entry are looked at (one timer for all). */
const CHECK_MS = 1000;

export interface Requests {
  /** A record that ended; its span follows its entry (or the wait's end). */
  take(r: RequestRecord): void;
  /** Ends every span still waiting, now (page exit). */
  settle(): void;
  /** Resolves when no span waits for its entry, or after `ms`, ending the rest then (flush). */
  drain(ms: number): Promise<void>;
  stop(): void;
}

/** Each kind's instrumentation scope. */
const SCOPES = { fetch: { name: 'tracelet/fetch' }, xmlhttprequest: { name: 'tracelet/xml-http-request' } };

/** `ended` takes each request's span, ended (as the span processors' onEnd). */
export function adoptRequests(ended: (span: ReadableSpan) => void): Requests {
  const waiting = new Map<RequestRecord, () => void>();
  /** Entries already given to a span: two requests of one URL never share one. */
  const claimed = new WeakSet<PerformanceEntry>();
  const fits = (r: RequestRecord, e: PerformanceResourceTiming) =>
    // (Entry times are coarsened: one may start a hair before the record did.)
    e.initiatorType === r.k && e.startTime > r.s - performance.timeOrigin - 5 && !claimed.has(e) && !!claimed.add(e);
  let timer: ReturnType<typeof setTimeout> | undefined;
  /** When the agent began watching: a request that ended before may have its entry in the buffer already. */
  const since = performance.timeOrigin + performance.now();

  const finish = (r: RequestRecord, e?: PerformanceResourceTiming) => {
    waiting.get(r)?.();
    waiting.delete(r);
    const { attributes, failed } = requestSpan(r);
    const t0 = performance.timeOrigin;
    // How an XHR ended without a response, as an event (as the OTel XHR instrumentation does).
    const events = r.k === 'xmlhttprequest' && r.x ? [{ name: r.x === 'xhr_error' ? 'error' : r.x, time: r.e! }] : [];
    // Only the marks that carry information (see core/networkEvents): the rest are implied.
    if (e) for (const n of networkEvents(e)) events.push({ name: n.name, time: t0 + n.time });
    ended(
      endedSpan({
        scope: SCOPES[r.k],
        ids: r,
        spanId: r.i,
        name: methodAttributes(r.m, attributes),
        kind: SpanKind.CLIENT,
        start: r.s,
        end: e && e.responseEnd > 0 ? t0 + e.responseEnd : r.e!,
        attributes,
        events,
        status: failed ? { code: SpanStatusCode.ERROR, message: r.x } : undefined,
      }),
    );
  };

  const check = () => {
    timer = undefined;
    const now = performance.timeOrigin + performance.now();
    for (const r of waiting.keys()) if (now - r.e! >= MAX_WAIT_MS) finish(r);
    if (waiting.size) timer = setTimeout(check, CHECK_MS);
  };

  return {
    take(r) {
      if (!r.e) return;
      // A failed request has no entry worth waiting for (Chromium makes none for network errors).
      if (r.x) return finish(r);
      // Ended before the agent came: its entry may be in the buffer. Later ones get theirs from
      // the observer, watched from their response on (the buffer holds only 250 entries, and a
      // lookup in the page's own call is the largest part of a request's cost to the agent).
      const had = r.e < since && (performance.getEntriesByName(r.u, 'resource') as PerformanceResourceTiming[]).find((e) => fits(r, e));
      if (had) return finish(r, had);
      const unwatch = watchResource(r.k, r.u, (e) => fits(r, e) && (finish(r, e), true));
      if (!unwatch) return finish(r);
      waiting.set(r, unwatch);
      timer ??= setTimeout(check, CHECK_MS);
    },
    settle() {
      for (const r of [...waiting.keys()]) finish(r);
    },
    async drain(ms) {
      for (let waited = 0; waiting.size && waited < ms; waited += 50) await new Promise((r) => setTimeout(r, 50));
      this.settle();
    },
    stop() {
      clearTimeout(timer);
      for (const un of waiting.values()) un();
      waiting.clear();
    },
  };
}
