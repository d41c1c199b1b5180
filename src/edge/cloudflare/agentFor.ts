import type { EdgeOptions } from '../config';
import { startAgent, type EdgeAgent } from '../agent';
import type { ConfigOrFactory } from './types';

const RUNTIME = { 'cloud.provider': 'cloudflare', 'cloud.platform': 'cloudflare.workers' };

/**
 * The worker's agent, made on the first event because the options may depend on `env`
 * (bindings exist only then). A bad configuration is reported once; the worker then runs
 * untraced.
 */
const shared = new WeakMap<object, (env: never) => EdgeAgent | undefined>();

export function lazyAgent<Env>(config: ConfigOrFactory<Env, EdgeOptions>): (env: Env) => EdgeAgent | undefined {
  // One agent per config: a module's handler, entrypoints and Durable Objects share it.
  const key = typeof config === 'object' || typeof config === 'function' ? (config as object) : undefined;
  const known = key && shared.get(key);
  if (known) return known as (env: Env) => EdgeAgent | undefined;
  const made = makeLazyAgent(config);
  if (key) shared.set(key, made);
  return made;
}

function makeLazyAgent<Env>(config: ConfigOrFactory<Env, EdgeOptions>): (env: Env) => EdgeAgent | undefined {
  let agent: EdgeAgent | undefined;
  let resolved = false;
  return (env) => {
    if (resolved) return agent;
    resolved = true;
    let options: unknown;
    try {
      options = typeof config === 'function' ? config(env) : config;
    } catch (e) {
      console.error(`tracelet: the config function threw (${String(e)}); tracing is off`);
      return undefined;
    }
    // No timers: a timer dies with the request that set it; every export runs in waitUntil.
    return (agent = startAgent(options, RUNTIME, { timers: false }));
  };
}
