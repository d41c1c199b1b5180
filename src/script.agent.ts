import { context, trace } from '@opentelemetry/api';
import { checkedConfig, startAgent } from './browser/agent/start';
import type { Agent } from './browser/agent/types';
import type { Hub } from './browser/loader/hub';
import { VERSION } from './core/version';

/*
 * The agent for the script tag, loaded by the loader when the page is idle. It finds the
 * loader through the global `Tracelet` and adopts what it captured. The API for app spans
 * comes with it, so a script-tag page needs no second copy of it.
 */
const T = (window as unknown as { Tracelet?: Record<string, unknown> & { __v?: string; __boot?(start: (h: Hub) => Agent, explain: (o: unknown) => unknown): void } }).Tracelet;
if (T?.__boot) {
  // Built to take modules from the loader (rollup.lent.mjs): only from a loader of this version.
  if (T.__v !== VERSION) console.error(`tracelet: agent ${VERSION} needs the loader of its release, not ${T.__v}; it does not start`);
  else {
    Object.assign(T, { trace, context });
    T.__boot((h) => startAgent(h), checkedConfig);
  }
}
