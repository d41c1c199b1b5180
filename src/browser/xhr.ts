import { SpanStatusCode, type Span } from '@opentelemetry/api';
import { XMLHttpRequestInstrumentation } from '@opentelemetry/instrumentation-xml-http-request';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { TRACE_HEADERS } from '../core/propagation';
import type { BrowserConfig } from './options';
import { watchResource } from './lib/resources';

/*
 * instrumentation-xml-http-request, made invisible to the page. Its patched `open` builds
 * the span before the native `open` has checked the arguments (so a bad call throws the
 * instrumentation's TypeError instead of the native SyntaxError or TypeError), its `send`
 * sets the traceparent before the native `send` has checked the state (so a second send
 * throws from setRequestHeader), it appends its traceparent to one the page set
 * ("theirs, ours"), its methods have the wrong name and length and a prototype, and a
 * failed synchronous request, which fires no error event, leaves its span open forever.
 *
 * So the page calls our own `open`, `send` and `setRequestHeader`, which call the native
 * ones first (or only), and the instrumentation's patched `open` and `send` around stand-ins:
 * `open` makes the span after the native open succeeded; `send` runs the instrumentation
 * (listeners, traceparent) right before the native send of a request that is ready to go.
 * Its Resource Timing entries come from lib/resources, not from an observer per request.
 */


type Method = (this: XMLHttpRequest, ...args: any[]) => any;
type Methods = Record<'open' | 'send' | 'setRequestHeader', Method>;
/** The instrumentation's private state per request (0.223.0). */
type XhrMem = {
  span?: Span;
  callbackToRemoveEvents?: () => void;
  createdResources?: { observer: { disconnect(): void }; entries: PerformanceResourceTiming[] };
};

/** A CLIENT span per XMLHttpRequest; `traceparent` only to the same origin and `propagateTo`, never over the page's own. */
export function instrumentXhr(config: BrowserConfig): Instrumentation {
  /** Requests sent since their last open(): another send goes to the native one, which refuses it. */
  const sent = new WeakSet<XMLHttpRequest>();
  /** Requests whose page set traceparent or tracestate since open(): the agent sets neither. */
  const ownTrace = new WeakSet<XMLHttpRequest>();
  /** Requests whose native send was called: an exception then came from it, not from the instrumentation. */
  const reached = new WeakSet<XMLHttpRequest>();
  /** The request the instrumentation is setting its headers on, while it does. */
  const injecting = new WeakSet<XMLHttpRequest>();
  let native: Methods;
  let on = false;

  // What the instrumentation wraps: an open that does nothing (it makes the span) and the native send.
  const patched: Pick<Methods, 'open' | 'send'> = {
    open() {},
    send(...args) {
      injecting.delete(this);
      reached.add(this);
      return native.send.apply(this, args);
    },
  };

  const mems = () => (inst as unknown as { _xhrMem: WeakMap<XMLHttpRequest, XhrMem> })._xhrMem;

  /** A synchronous request that failed fires no error event: its span ends here. */
  const endFailed = (xhr: XMLHttpRequest, e: unknown) => {
    const mem = mems().get(xhr);
    if (!mem?.span) return;
    mems().delete(xhr);
    mem.callbackToRemoveEvents?.();
    const type = (e as Error)?.name || 'error';
    mem.span.setStatus({ code: SpanStatusCode.ERROR, message: type });
    mem.span.setAttribute('error.type', type);
    mem.span.end();
  };

  // The page's methods: named and sized like the native ones, no prototype.
  const ours: Methods = {
    open(_method, _url) {
      // eslint-disable-next-line prefer-rest-params
      const args = [...arguments];
      native.open.apply(this, args);
      sent.delete(this);
      ownTrace.delete(this);
      try {
        if (on) patched.open.call(this, String(args[0]), String(args[1]));
      } catch {
        // no span for this one
      }
    },
    send() {
      // eslint-disable-next-line prefer-rest-params
      const args = [...arguments];
      // Not ready to go (the native send throws), already sent, or after shutdown: as without us.
      if (!on || this.readyState !== 1 || sent.has(this)) return native.send.apply(this, args);
      sent.add(this);
      reached.delete(this);
      injecting.add(this);
      try {
        return patched.send.apply(this, args);
      } catch (e) {
        // The instrumentation failed before sending: send as without it.
        if (!reached.has(this)) return native.send.apply(this, args);
        endFailed(this, e);
        throw e;
      } finally {
        injecting.delete(this);
      }
    },
    setRequestHeader(name, value) {
      if (injecting.has(this)) {
        // The instrumentation's traceparent: never over, or joined to, the page's own.
        if (!ownTrace.has(this)) native.setRequestHeader.call(this, name, value);
        return;
      }
      // eslint-disable-next-line prefer-rest-params
      native.setRequestHeader.apply(this, arguments as unknown as unknown[]);
      if (TRACE_HEADERS.includes(String(name).toLowerCase())) ownTrace.add(this);
    },
  };

  class TraceletXhr extends XMLHttpRequestInstrumentation {
    override enable(): void {
      const proto = typeof XMLHttpRequest === 'function' && (XMLHttpRequest.prototype as unknown as Methods);
      if (on || !proto) return;
      if (!native) {
        native = { open: proto.open, send: proto.send, setRequestHeader: proto.setRequestHeader };
        // The instrumentation wraps the stand-ins instead of the prototype's methods.
        const wrap = this._wrap;
        this._wrap = ((_nodule: unknown, name: 'open' | 'send', wrapper: never) => wrap(patched, name, wrapper)) as typeof wrap;
        try {
          super.enable();
        } finally {
          this._wrap = wrap;
        }
      } else super.enable();
      // Ours go on, unless they are still there or under someone else's wrapper.
      for (const k in ours) if (proto[k as keyof Methods] === native[k as keyof Methods]) proto[k as keyof Methods] = ours[k as keyof Methods];
      on = true;
    }

    override disable(): void {
      if (!on) return;
      on = false;
      super.disable();
      const proto = XMLHttpRequest.prototype as unknown as Methods;
      // The page's methods come back, unless someone wrapped ours since: then ours pass through.
      for (const k in ours) if (proto[k as keyof Methods] === ours[k as keyof Methods]) proto[k as keyof Methods] = native[k as keyof Methods];
    }
  }

  const inst = new TraceletXhr({
    // Not from the base constructor: init() enables it.
    enabled: false,
    propagateTraceHeaderCorsUrls: config.propagateTo,
    ignoreUrls: config.ignoreUrls,
  });
  // The instrumentation "disconnects" (unwatches) it when the span ends.
  (inst as unknown as { _addResourceObserver(xhr: XMLHttpRequest, spanUrl: string): void })._addResourceObserver = (xhr, spanUrl) => {
    const mem = mems().get(xhr);
    if (!mem) return;
    const entries: PerformanceResourceTiming[] = [];
    const disconnect = watchResource('xmlhttprequest', new URL(spanUrl, document.baseURI).href, (e) => void entries.push(e));
    if (disconnect) mem.createdResources = { observer: { disconnect }, entries };
  };
  return inst;
}
