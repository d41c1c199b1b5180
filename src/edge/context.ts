/// <reference types="node" />
import { AsyncLocalStorage } from 'node:async_hooks';
import { ROOT_CONTEXT, createContextKey, type Context, type ContextManager } from '@opentelemetry/api';
import type { EdgeAgent } from './agent';

/**
 * The active OTel context per async flow, kept in AsyncLocalStorage from `node:async_hooks`:
 * it holds across await, timers, fetch and `.then` in workerd (compat flag `nodejs_als`, or
 * `nodejs_compat`) and Deno, so concurrent requests never see each other's spans. Written
 * here rather than taken from @opentelemetry/context-async-hooks, whose 2.x line never
 * loads once bundled (dynamic `require`).
 */
export class AsyncLocalStorageContextManager implements ContextManager {
  private readonly storage = new AsyncLocalStorage<Context>();

  active(): Context {
    return this.storage.getStore() ?? ROOT_CONTEXT;
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    context: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    return this.storage.run(context, () => fn.apply(thisArg, args));
  }

  bind<T>(context: Context, target: T): T {
    if (typeof target !== 'function') return target;
    const run = (thisArg: unknown, args: unknown[]) =>
      this.storage.run(context, () => (target as (...a: unknown[]) => unknown).apply(thisArg, args));
    return function (this: unknown, ...args: unknown[]) {
      return run(this, args);
    } as T;
  }

  enable(): this {
    return this;
  }

  /** Shared by every agent in the isolate, so it is never switched off. */
  disable(): this {
    return this;
  }
}

/** One per isolate: every agent and the global fetch wrapper read the same storage. */
export const edgeContext = new AsyncLocalStorageContextManager();

/** The agent whose event owns a context: the fetch wrapper asks it for CLIENT spans. */
const AGENT = createContextKey('tracelet.edge.agent');

const DELETED = Symbol('deleted');

/**
 * An immutable context as a chain of one-value links over a base context: `setValue` adds a
 * link instead of copying every entry into a new Map, as @opentelemetry/api's BaseContext
 * does. Each request sets three or four values (agent, span, client span); reads walk the
 * few links, nearest first.
 */
class ChainContext implements Context {
  constructor(
    private readonly parent: Context,
    private readonly key: symbol,
    private readonly value: unknown,
  ) {}

  getValue(key: symbol): unknown {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    let c: Context = this;
    while (c instanceof ChainContext) {
      if (c.key === key) return c.value === DELETED ? undefined : c.value;
      c = c.parent;
    }
    return c.getValue(key);
  }

  setValue(key: symbol, value: unknown): Context {
    return new ChainContext(this, key, value);
  }

  deleteValue(key: symbol): Context {
    return new ChainContext(this, key, DELETED);
  }
}

export function withAgent(ctx: Context, agent: EdgeAgent): Context {
  return new ChainContext(ctx, AGENT, agent);
}

const roots = new WeakMap<EdgeAgent, Context>();

/** `withAgent(ROOT_CONTEXT, agent)`, made once per agent (contexts are immutable): every request starts from it. */
export function agentRoot(agent: EdgeAgent): Context {
  let ctx = roots.get(agent);
  if (!ctx) roots.set(agent, (ctx = withAgent(ROOT_CONTEXT, agent)));
  return ctx;
}

export function agentOf(ctx: Context): EdgeAgent | undefined {
  return ctx.getValue(AGENT) as EdgeAgent | undefined;
}
