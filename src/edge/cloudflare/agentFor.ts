import type { EdgeOptions } from '../config';
import { startAgent, type EdgeAgent } from '../agent';
import type { ConfigOrFactory } from './types';

const RUNTIME = { 'cloud.provider': 'cloudflare', 'cloud.platform': 'cloudflare.workers' };

/**
 * The worker's agent, made on the first event because the options may depend on `env`
 * (bindings exist only then). A bad configuration is reported once; the worker then runs
 * untraced.
 */
export function lazyAgent<Env>(config: ConfigOrFactory<Env, EdgeOptions>): (env: Env) => EdgeAgent | undefined {
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
