import type { EdgeOptions } from '../config';
import { lazyAgent } from './agentFor';
import { instrumentFetch } from './instrumentFetch';
import { instrumentQueue } from './instrumentQueue';
import { instrumentScheduled } from './instrumentScheduled';
import type { ConfigOrFactory, ExportedHandler } from './types';

/**
 * Wraps a module worker's handlers (`fetch`, `scheduled`, `queue`) so that every event is
 * traced and exported inside `waitUntil`. `config` is the options, or a function of `env`
 * returning them. Needs the `nodejs_als` (or `nodejs_compat`) compatibility flag.
 */
export function instrument<Env, H extends ExportedHandler<Env>>(handler: H, config: ConfigOrFactory<Env, EdgeOptions>): H {
  const agentFor = lazyAgent(config);
  // Other handlers (email, tail, ...), the user's own properties and prototype stay as they were.
  const out = Object.assign(Object.create(Object.getPrototypeOf(handler)) as H, handler);
  if (handler.fetch) out.fetch = instrumentFetch(handler.fetch, agentFor);
  if (handler.scheduled) out.scheduled = instrumentScheduled(handler.scheduled, agentFor);
  if (handler.queue) out.queue = instrumentQueue(handler.queue, agentFor);
  return out;
}
