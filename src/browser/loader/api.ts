import type { Agent } from '../agent/types';
import type { BrowserOptions } from '../options';
import type { Hub } from './hub';
import { startLoader, type AgentLoader, type ExitLoader } from './index';

/** What `init` returns at once; the agent itself comes when the page is idle. */
export interface Tracelet {
  /** False when the options were invalid: nothing is captured. */
  readonly enabled: boolean;
  /** Runs `cb` with the agent once it runs (at once if it does). */
  onReady(cb: (agent: Agent) => void): void;
  /** Loads the agent now if it has not come yet, then sends everything queued. */
  flush(): Promise<void>;
  /** Stops capturing and shuts the agent down; `init` may be called again afterwards. */
  shutdown(): Promise<void>;
}

let hub: Hub | undefined;
let agent: Agent | undefined;
let handle: Tracelet | undefined;
let loader: AgentLoader;
let asked = false;
/** Options the loader refused: the agent names what is wrong in them when it comes. */
const refused: BrowserOptions[] = [];

/** Asks for the agent once (idle time or an early `flush`). */
const load = (h: Hub) => {
  if (!asked && h === hub) {
    asked = true;
    loader();
  }
};

const DISABLED: Tracelet = {
  enabled: false,
  onReady: () => {},
  flush: () => Promise.resolve(),
  shutdown: () => Promise.resolve(),
};

/** The running agent, once it came. */
export const getAgent = (): Agent | undefined => agent;

/** Runs `cb` with the agent once it runs. */
export function onReady(cb: (agent: Agent) => void): void {
  if (agent) cb(agent);
  else hub?.ready.push(cb as (a: never) => void);
}

/**
 * Stage one: capture now, the agent later. A wrong option: a disabled handle, the page
 * untouched, and the agent comes at once to name the mistake in one console error.
 */
export function initWith(options: BrowserOptions, how: AgentLoader, exit?: ExitLoader): Tracelet {
  if (handle) {
    console.warn('tracelet: init() was called again; the running agent is kept and returned');
    return handle;
  }
  loader = how;
  asked = false;
  const h = (hub = startLoader(options, load, exit));
  if (!h) {
    refused.push(options);
    how();
    return DISABLED;
  }
  return (handle = {
    enabled: true,
    onReady,
    flush: () =>
      new Promise<void>((resolve) => {
        onReady((a) => a.flush().then(resolve));
        load(h);
      }),
    async shutdown() {
      if (hub !== h) return;
      h.on = false;
      h.stops.forEach((s) => s());
      await agent?.shutdown();
      hub = agent = handle = undefined;
    },
  });
}

/** Stage two: the agent's code calls this with its start function and its option checks. */
export function boot(start: (h: Hub) => Agent, explain: (o: BrowserOptions) => unknown): void {
  refused.splice(0).forEach(explain);
  if (!hub || agent) return;
  agent = start(hub);
  hub.ready.splice(0).forEach((cb) => cb(agent as never));
}
