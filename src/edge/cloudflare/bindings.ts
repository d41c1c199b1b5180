import type { EdgeAgent } from '../agent';
import { traceFetch } from '../fetch';
import { traceRpcMethod } from './rpc';
import type { ExecutionContext } from './types';

type Fetcher = { fetch: (input: RequestInfo | URL, init?: RequestInit) => Promise<Response> };

const isFetcher = (v: unknown): v is Fetcher =>
  (typeof v === 'object' || typeof v === 'function') && v !== null && typeof (v as Fetcher).fetch === 'function';

/** Reads a property of a runtime object, binding methods to it (a proxy as `this` is an "Illegal invocation"). */
function bound(target: object, prop: string | symbol): unknown {
  const v = Reflect.get(target, prop);
  // Function.prototype.bind itself: an RPC stub takes `.bind` for a remote method's name.
  return typeof v === 'function' ? Function.prototype.bind.call(v, target) : v;
}

/** Properties of a binding or stub that are not RPC methods. */
const NOT_RPC = new Set(['fetch', 'connect', 'then', 'dup', 'toJSON', 'constructor', 'idFromName', 'idFromString', 'newUniqueId', 'jurisdiction']);

const tracedBindings = new WeakMap<object, unknown>();

/**
 * A service binding or Durable Object stub: `fetch` gets a CLIENT span and a traceparent,
 * RPC methods a CLIENT span and the hidden trace carrier (rpc.ts).
 */
function traceStub(binding: Fetcher, service: string): unknown {
  let traced = tracedBindings.get(binding);
  if (!traced) {
    // Every argument as given (none, too): what the traced fetch cannot read goes to the binding untouched.
    const tracedFetch = traceFetch((...args) => binding.fetch(...args), binding.fetch);
    traced = new Proxy(binding, {
      get: (t, p) => {
        if (p === 'fetch') return tracedFetch;
        const v = bound(t, p);
        return typeof p === 'string' && typeof v === 'function' && !NOT_RPC.has(p) ? traceRpcMethod(service, p, v as (...a: unknown[]) => unknown) : v;
      },
    });
    tracedBindings.set(binding, traced);
  }
  return traced;
}

type Namespace = { get(id: unknown, ...rest: unknown[]): Fetcher; idFromName(name: string): unknown };

const isNamespace = (v: unknown): v is Namespace =>
  typeof v === 'object' && v !== null && typeof (v as Namespace).idFromName === 'function' && typeof (v as Namespace).get === 'function';

/** A Durable Object namespace whose stubs (`get`, `getByName`) are traced. */
function traceNamespace(ns: Namespace, service: string): unknown {
  let traced = tracedBindings.get(ns);
  if (!traced) {
    traced = new Proxy(ns, {
      get: (t, p) => {
        const v = bound(t, p);
        if ((p !== 'get' && p !== 'getByName') || typeof v !== 'function') return v;
        return (...args: unknown[]) => {
          const stub = (v as (...a: unknown[]) => unknown)(...args);
          return isFetcher(stub) ? traceStub(stub, service) : stub;
        };
      },
    });
    tracedBindings.set(ns, traced);
  }
  return traced;
}

const tracedEnvs = new WeakMap<object, object>();

/** `env` with its service bindings and Durable Object namespaces traced; everything else is passed through as is. */
export function traceEnv<Env>(env: Env): Env {
  if (typeof env !== 'object' || env === null) return env;
  let traced = tracedEnvs.get(env);
  if (!traced) {
    traced = new Proxy(env, {
      get(t, p) {
        const v = Reflect.get(t, p);
        const name = String(p);
        if (isFetcher(v)) return traceStub(v, name);
        return isNamespace(v) ? traceNamespace(v, name) : v;
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
