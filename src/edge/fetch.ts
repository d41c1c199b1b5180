import { SpanKind, SpanStatusCode, type Context } from '@opentelemetry/api';
import { TRACEPARENT, TRACESTATE, formatTraceparent, outgoingFlags } from '../core/propagation';
import type { EdgeAgent } from './agent';
import { agentOf, edgeContext } from './context';
import { redactUrl } from '../core/redact';
import { methodAttributes } from './http';
import { runInSpan } from './span';

export type FetchLike = (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>;

const WRAPPED = Symbol.for('tracelet.edge.fetch');

/**
 * Wraps a fetch function: inside a traced request each call gets a CLIENT span and a
 * `traceparent` naming it. The edge is the parent of what it calls, so a traceparent the
 * request already carries (a forwarded incoming request) is replaced; `tracestate` is
 * the trace's own (an invalid incoming one was dropped whole). Outside a traced request
 * the call passes through untouched.
 */
export function traceFetch(doFetch: FetchLike): FetchLike {
  const traced: FetchLike = (input, init) => {
    const ctx = edgeContext.active();
    const agent = agentOf(ctx);
    return agent ? clientCall(agent, ctx, doFetch, input, init) : doFetch(input, init);
  };
  (traced as unknown as Record<symbol, boolean>)[WRAPPED] = true;
  return traced;
}

function clientCall(agent: EdgeAgent, ctx: Context, doFetch: FetchLike, input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  const request = typeof Request === 'function' && input instanceof Request ? input : undefined;
  const attrs: Record<string, string | number> = {};
  const method = methodAttributes(init?.method ?? request?.method ?? 'GET', attrs);
  try {
    const url = new URL(request ? request.url : String(input));
    // The browser's rule: user info and secret-looking query values (signatures too) hidden.
    attrs['url.full'] = redactUrl(url.href);
    attrs['server.address'] = url.hostname;
    attrs['server.port'] = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  } catch {
    // A relative or broken URL: the runtime's fetch reports it.
  }
  const span = agent.tracer.startSpan(method, { kind: SpanKind.CLIENT, attributes: attrs }, ctx);
  let headers: Headers;
  try {
    // Init headers replace the request's, as in fetch itself; the rest of init (cf, client) is kept.
    headers = new Headers(init?.headers ?? request?.headers);
  } catch (err) {
    span.end();
    throw err;
  }
  const sc = span.spanContext();
  headers.set(TRACEPARENT, formatTraceparent(sc.traceId, sc.spanId, outgoingFlags(ctx, sc)));
  const tracestate = sc.traceState?.serialize();
  if (tracestate) headers.set(TRACESTATE, tracestate);
  else headers.delete(TRACESTATE);
  return runInSpan(span, ctx, () => doFetch(input, { ...init, headers }), (res) => {
    span.setAttribute('http.response.status_code', res.status);
    if (res.status >= 400) {
      span.setStatus({ code: SpanStatusCode.ERROR });
      span.setAttribute('error.type', String(res.status));
    }
  });
}

/** Replaces the global fetch with a traced one, once per isolate. */
export function installFetch(): void {
  const current = globalThis.fetch as FetchLike & Record<symbol, boolean>;
  if (typeof current !== 'function' || current[WRAPPED]) return;
  // Called as a plain function: workerd throws "Illegal invocation" for fetch on another `this`.
  globalThis.fetch = traceFetch((input, init) => current(input, init)) as typeof fetch;
}
