import { SpanKind, SpanStatusCode, trace, type Context } from '@opentelemetry/api';
import { headersOf, injectHeaders } from '../core/formats';
import type { EdgeAgent } from './agent';
import { agentOf, edgeContext } from './context';
import { redactUrl } from '../core/redact';
import { methodAttributes } from '../core/httpMethod';
import { endSpanWith } from './span';

export type FetchLike = (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>;

const WRAPPED = Symbol.for('tracelet.edge.fetch');
const CLIENT = { kind: SpanKind.CLIENT };

type AnyFetch = (this: unknown, ...args: unknown[]) => Promise<Response>;

/**
 * Wraps a fetch function: inside a traced request each call gets a CLIENT span and a
 * `traceparent` naming it. The edge is the parent of what it calls, so a traceparent the
 * request already carries (a forwarded incoming request) is replaced; `tracestate` is
 * the trace's own (an invalid incoming one was dropped whole). Outside a traced request
 * the call passes through untouched.
 *
 * Indistinguishable from the runtime's fetch otherwise: the call is read the way fetch
 * reads it, `new Request(input, init)`, exactly once (init getters included); what that
 * constructor refuses, and a call with no argument, go to `doFetch` untouched, to fail
 * (reject) exactly as they would without us. `this` is passed on unless it is the global
 * object or undefined, so a runtime that refuses another `this` (workerd: "Illegal
 * invocation") still throws. The wrapper takes the name, length and (no) prototype of
 * `like`, the function it stands for.
 */
export function traceFetch(doFetch: FetchLike, like?: unknown): FetchLike {
  const call = doFetch as unknown as AnyFetch;
  const run = (self: unknown, args: unknown[]): Promise<Response> => {
    const ctx = edgeContext.active();
    const agent = agentOf(ctx);
    if (!agent || !args.length) return call.apply(self, args);
    const thisArg = self === globalThis ? undefined : self;
    const init = args[1];
    // The common call, fetch(url) alone, needs no Request built to be read: a GET of that URL.
    // (A URL object is read once, into the string fetch would read from it.)
    if (args.length === 1 && (typeof args[0] === 'string' || args[0] instanceof URL)) {
      const href = String(args[0]);
      const target = targetOf(href);
      if (target?.plain) return clientCall(agent, ctx, call, thisArg, 'GET', target, href);
    }
    // The body init gave, seen as the constructor reads it (a getter runs once, as in fetch).
    let body: unknown;
    const watched =
      (typeof init === 'object' || typeof init === 'function') && init !== null && !(init instanceof Request)
        ? new Proxy(init, { get: (t, p) => (p === 'body' ? (body = Reflect.get(t, p)) : Reflect.get(t, p)) })
        : init;
    let request: Request;
    try {
      request = new Request(args[0] as RequestInfo | URL, watched as RequestInit | undefined);
    } catch {
      return call.apply(self, args);
    }
    return clientCall(agent, ctx, call, thisArg, request.method, targetOf(request.url), request, body);
  };
  const model = typeof like === 'function' ? (like as AnyFetch) : undefined;
  // A runtime's fetch is a plain function (Deno: with a prototype) or a method (workerd: none).
  const traced: AnyFetch =
    model && 'prototype' in model
      ? function fetch(this: unknown, ...args: unknown[]) {
          return run(this, args);
        }
      : {
          fetch(this: unknown, ...args: unknown[]) {
            return run(this, args);
          },
        }.fetch;
  Object.defineProperty(traced, 'name', { value: typeof model?.name === 'string' ? model.name : 'fetch', configurable: true });
  Object.defineProperty(traced, 'length', { value: typeof model?.length === 'number' ? model.length : 1, configurable: true });
  (traced as unknown as Record<symbol, boolean>)[WRAPPED] = true;
  return traced as unknown as FetchLike;
}

/** What a CLIENT span records of a URL; `plain`: an absolute http(s) URL without credentials (which fetch refuses). */
interface Target {
  full: string;
  address: string;
  port: number;
  plain: boolean;
}

/**
 * Targets by URL, remembered: a Worker or server calls the same few URLs again and again,
 * and parsing and redacting each one was a measurable part of every traced call. Bounded
 * in entries and in URL length; null for a URL that does not parse.
 */
const targets = new Map<string, Target | null>();
const TARGETS_REMEMBERED = 256;
const TARGET_URL_MAX = 2048;

function targetOf(href: string): Target | undefined {
  let t = targets.get(href);
  if (t === undefined) {
    try {
      const url = new URL(href);
      const scheme = url.protocol;
      t = {
        // The browser's rule: user info and secret-looking query values (signatures too) hidden.
        full: redactUrl(url.href),
        address: url.hostname,
        port: url.port ? Number(url.port) : scheme === 'https:' ? 443 : 80,
        plain: (scheme === 'http:' || scheme === 'https:') && !url.username && !url.password,
      };
    } catch {
      t = null;
    }
    if (href.length <= TARGET_URL_MAX) {
      if (targets.size >= TARGETS_REMEMBERED) targets.clear();
      targets.set(href, t);
    }
  }
  return t ?? undefined;
}

/**
 * The CLIENT span around one call. `target` is what was read from the call's URL: the
 * Request's we built from it, or for `fetch(url)` alone the URL's; `input` goes to the
 * runtime's fetch with the trace headers added.
 */
function clientCall(
  agent: EdgeAgent,
  ctx: Context,
  doFetch: AnyFetch,
  thisArg: unknown,
  requestMethod: string,
  target: Target | undefined,
  input: Request | string,
  body?: unknown,
): Promise<Response> {
  const request = input instanceof Request ? input : undefined;
  const attrs: Record<string, string | number> = {};
  const method = methodAttributes(requestMethod, attrs);
  if (target) {
    attrs['url.full'] = target.full;
    attrs['server.address'] = target.address;
    attrs['server.port'] = target.port;
  }
  // Set after the start, as for SERVER spans (httpServer.ts): the SDK copies start attributes twice.
  const span = agent.tracer.startSpan(method, CLIENT, ctx);
  span.setAttributes(attrs);
  const sc = span.spanContext();
  const formats = agent.config.propagators;
  let init: RequestInit;
  if (request) {
    // A copy of the request's headers (the request is ours, built from the caller's input and
    // init), without the trace headers a forwarded request carries: the trace's own replace them.
    const headers = new Headers(request.headers);
    for (const name of headersOf(formats)) headers.delete(name);
    injectHeaders(formats, sc, (k, v) => headers.set(k, v));
    // fetch(request, { headers }): sent with these headers, the request's body, signal and the
    // rest kept. A stream the Request holds as is (Deno) is given again as the body, so the
    // runtime reads the caller's stream itself, as fetch(url, { body: stream }) does, rather
    // than through a proxy that releases it once sent. (`request.body` is only read then:
    // reading it turns a string body into a stream, sent chunked.)
    const stream = typeof ReadableStream === 'function' && body instanceof ReadableStream && request.body === body;
    init = stream ? ({ headers, body, duplex: 'half' } as RequestInit) : { headers };
  } else {
    const headers: Record<string, string> = {};
    injectHeaders(formats, sc, (k, v) => (headers[k] = v));
    init = { headers };
  }
  // A synchronous throw (a `this` the runtime refuses) reaches the caller as it is: the call
  // never started, so its span is never ended, hence never exported.
  const pending = edgeContext.with(trace.setSpan(ctx, span), () => (thisArg === undefined ? doFetch(input, init) : doFetch.call(thisArg, input, init)));
  return endSpanWith(span, pending, (res) => {
    span.setAttribute('http.response.status_code', res.status);
    if (res.status >= 400) {
      span.setStatus({ code: SpanStatusCode.ERROR });
      span.setAttribute('error.type', String(res.status));
    }
  });
}

/** Replaces the global fetch with a traced one, once per isolate. */
export function installFetch(): void {
  const current = globalThis.fetch as unknown as AnyFetch & Record<symbol, boolean>;
  if (typeof current !== 'function' || current[WRAPPED]) return;
  // Called as a plain function unless the caller gave another `this` (workerd throws
  // "Illegal invocation" for it, as it does without us).
  const doFetch = function (this: unknown, ...args: unknown[]) {
    return this === undefined ? current(...args) : current.apply(this, args);
  };
  globalThis.fetch = traceFetch(doFetch as unknown as FetchLike, current) as typeof fetch;
}
