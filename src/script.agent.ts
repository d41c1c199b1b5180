import { context, trace } from '@opentelemetry/api';
import { checkedConfig, startAgent } from './browser/agent/start';
import type { Agent } from './browser/agent/types';
import type { Hub } from './browser/loader/hub';

/*
 * The agent for the script tag, loaded by the loader when the page is idle. It finds the
 * loader through the global `Tracelet` and adopts what it captured. The API for app spans
 * comes with it, so a script-tag page needs no second copy of it.
 */
const T = (window as unknown as { Tracelet?: Record<string, unknown> & { __boot?(start: (h: Hub) => Agent, explain: (o: unknown) => unknown): void } }).Tracelet;
if (T?.__boot) {
  Object.assign(T, { trace, context });
  T.__boot((h) => startAgent(h), checkedConfig);
}
