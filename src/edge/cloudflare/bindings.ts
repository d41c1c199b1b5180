import type { EdgeAgent } from '../agent';
import { traceFetch } from '../fetch';
import type { ExecutionContext } from './types';

type Fetcher = { fetch: (input: RequestInfo | URL, init?: RequestInit) => Promise<Response> };

const isFetcher = (v: unknown): v is Fetcher =>
  (typeof v === 'object' || typeof v === 'function') && v !== null && typeof (v as Fetcher).fetch === 'function';

/** Reads a property of a runtime object, binding methods to it (a proxy as `this` is an "Illegal invocation"). */
function bound(target: object, prop: string | symbol): unknown {
  const v = Reflect.get(target, prop);
  return typeof v === 'function' ? v.bind(target) : v;
}

const tracedBindings = new WeakMap<object, unknown>();

/** A service binding (or any fetcher) whose `fetch` gets a CLIENT span and a traceparent. */
function traceBinding(binding: Fetcher): unknown {
  let traced = tracedBindings.get(binding);
  if (!traced) {
    // Every argument as given (none, too): what the traced fetch cannot read goes to the binding untouched.
    const tracedFetch = traceFetch((...args) => binding.fetch(...args), binding.fetch);
    traced = new Proxy(binding, { get: (t, p) => (p === 'fetch' ? tracedFetch : bound(t, p)) });
    tracedBindings.set(binding, traced);
  }
  return traced;
}

const tracedEnvs = new WeakMap<object, object>();

/** `env` with its fetcher bindings traced; everything else is passed through as is. */
export function traceEnv<Env>(env: Env): Env {
  if (typeof env !== 'object' || env === null) return env;
  let traced = tracedEnvs.get(env);
  if (!traced) {
    traced = new Proxy(env, {
      get(t, p) {
        const v = Reflect.get(t, p);
        return isFetcher(v) ? traceBinding(v) : v;
      },
    });
    tracedEnvs.set(env, traced);
  }
  return traced as Env;
}

/**
 * `ctx` whose `waitUntil` also flushes once the work it was given settles, so spans that
 * end in background work are exported too.
 */
export function traceCtx(ctx: ExecutionContext, agent: EdgeAgent): ExecutionContext {
  const waitUntil = (promise: Promise<unknown>) => {
    ctx.waitUntil(promise);
    ctx.waitUntil(Promise.resolve(promise).then(agent.flushUnlessBusy, agent.flushUnlessBusy));
  };
  return new Proxy(ctx, { get: (t, p) => (p === 'waitUntil' ? waitUntil : bound(t, p)) });
}

/**
 * Exports once `work` (the traced event) settles, inside `waitUntil`: the response is not
 * delayed, and workerd sends nothing that is not awaited there, even for a request that
 * does no I/O. While another request's export is in flight, that request sends these
 * spans next, in the same POST as others that ended meanwhile. Returns `work` untouched.
 */
export function flushAfter<T>(ctx: ExecutionContext, agent: EdgeAgent, work: Promise<T>): Promise<T> {
  ctx.waitUntil(work.then(agent.flushUnlessBusy, agent.flushUnlessBusy));
  return work;
}
