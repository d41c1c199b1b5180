import type { EdgeOptions } from '../config';
import { lazyAgent } from './agentFor';
import type { EdgeAgent } from '../agent';
import { instrumentClass } from './instrumentClass';
import { wrapFetchHandler } from './wrapFetchHandler';
import { instrumentQueue } from './instrumentQueue';
import { instrumentScheduled } from './instrumentScheduled';
import type { ConfigOrFactory, ExportedHandler } from './types';

/**
 * Wraps a module worker's handlers (`fetch`, `scheduled`, `queue`) so that every event is
 * traced and exported inside `waitUntil`; or a `WorkerEntrypoint` / Durable Object class,
 * whose `fetch`, RPC methods, `alarm` and hibernated WebSocket handlers are traced the
 * same way. `config` is the options, or a function of `env` returning them; wrappers given
 * the same `config` share one agent. Needs the `nodejs_als` (or `nodejs_compat`)
 * compatibility flag.
 */
export function instrument<Env, H extends ExportedHandler<Env> | (new (...args: any[]) => object)>(handler: H, config: ConfigOrFactory<Env, EdgeOptions>): H {
  const agentFor = lazyAgent(config);
  if (typeof handler === 'function') return instrumentClass(handler as new (...args: any[]) => object, agentFor as (env: unknown) => EdgeAgent | undefined) as H;
  const h = handler as ExportedHandler<Env>;
  // Other handlers (email, tail, ...), the user's own properties and prototype stay as they were.
  const out = Object.assign(Object.create(Object.getPrototypeOf(h)) as ExportedHandler<Env>, h);
  if (h.fetch) out.fetch = wrapFetchHandler(h.fetch, agentFor);
  if (h.scheduled) out.scheduled = instrumentScheduled(h.scheduled, agentFor);
  if (h.queue) out.queue = instrumentQueue(h.queue, agentFor);
  return out as H;
}
