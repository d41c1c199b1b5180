import type { Hub, RequestRecord } from './hub';
import { begin, end, propagates, traceparent, TRACE_HEADERS } from './records';

type Method = (this: XMLHttpRequest, ...args: unknown[]) => unknown;
interface State {
  m: string;
  u: string;
  /** The page set a trace header since open(): ours is not added. */
  own?: boolean;
  r?: RequestRecord;
}

/*
 * XMLHttpRequest, recorded, and otherwise exactly the native one: each of our methods calls
 * the native one first (so a bad call throws the native error) or, for send, right after
 * our header; names and lengths are the native ones' and there is no prototype.
 */
export function captureXhr(h: Hub): () => void {
  const proto = typeof XMLHttpRequest === 'function' && (XMLHttpRequest.prototype as unknown as Record<string, Method>);
  if (!proto) return () => {};
  const natives: Record<string, Method> = { open: proto.open, send: proto.send, setRequestHeader: proto.setRequestHeader };
  const { open, send, setRequestHeader } = natives;
  const state = new WeakMap<XMLHttpRequest, State>();
  // One listener per request: loadend follows load, error, abort and timeout alike.
  const done = function (this: XMLHttpRequest) {
    const r = state.get(this)?.r;
    if (r) end(h, r, this.status, this.status ? undefined : 'xhr_error');
  };
  const ours: Record<string, Method> = {
    open(_method, _url) {
      // eslint-disable-next-line prefer-rest-params
      open.apply(this, arguments as unknown as unknown[]);
      // open() on a request in flight aborts it without any event: its record ends here.
      const prev = state.get(this)?.r;
      if (prev) end(h, prev, 0, 'abort');
      try {
        state.set(this, { m: String(_method), u: new URL(String(_url), document.baseURI).href });
      } catch {
        state.delete(this);
      }
    },
    setRequestHeader(name, _value) {
      // eslint-disable-next-line prefer-rest-params
      setRequestHeader.apply(this, arguments as unknown as unknown[]);
      const s = state.get(this);
      if (s && TRACE_HEADERS.includes(String(name).toLowerCase())) s.own = true;
    },
    send() {
      const s = state.get(this);
      // Not opened by us, not ready to go (the native send throws), or already sent: as without us.
      const r = s && !s.r && this.readyState === 1 ? (s.r = begin(h, 'xmlhttprequest', s.m, s.u)) : undefined;
      if (r) {
        if (!s!.own && propagates(h, r.u)) setRequestHeader.call(this, 'traceparent', traceparent(r));
        this.addEventListener('loadend', done);
      }
      try {
        // eslint-disable-next-line prefer-rest-params
        return send.apply(this, arguments as unknown as unknown[]);
      } catch (e) {
        // A synchronous request that failed throws and fires no loadend.
        if (r) end(h, r, 0, (e as Error)?.name || 'Error');
        throw e;
      }
    },
  };
  for (const k in ours) proto[k] = ours[k];
  return () => {
    for (const k in ours) if (proto[k] === ours[k]) proto[k] = natives[k];
  };
}
