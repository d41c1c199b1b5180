import { AGENT_FILE } from '../constants';
import { onHidden } from '../lib/onHidden';
import { captureErrors } from './errors';
import { checkOptions } from './options';
import { deliverAtExit } from './exit';
import { captureFetch } from './fetch';
import type { BrowserOptions } from '../options';
import type { Hub } from './hub';
import { hex } from './ids';
import { addScript, afterLoadIdle } from './loadAgent';
import { pageIds } from './page';
import { captureRoutes } from './routes';
import { loadSession } from './session';
import { captureXhr } from './xhr';

/** What the loader captures, by the option names of `instrumentations` (each feature one file). */
const CAPTURES: [string, (h: Hub) => () => void][] = [
  ['fetch', captureFetch],
  ['xhr', captureXhr],
  ['errors', captureErrors],
  ['routeChanges', captureRoutes],
];

/** How the agent comes: a script element (script tag) or a dynamic import (ESM). */
export type AgentLoader = () => void;

/**
 * Stage one. Starts capturing at once, delivers by itself at an exit until the agent runs,
 * and loads the agent after the load event when the page is idle. Undefined, with the page
 * untouched, when an option is wrong.
 */
export function startLoader(o: BrowserOptions, loadAgent: (h: Hub) => void): Hub | undefined {
  const checked = checkOptions(o);
  if (!checked) return undefined;
  const session = loadSession(o.sampleRate ?? 1);
  const h: Hub = {
    o,
    ...checked,
    on: true,
    q: [],
    n: 0,
    sid: session.id,
    smp: session.sampled,
    pv: hex(8),
    pg: pageIds(),
    sent: { vitals: [] },
    ready: [],
    stops: [],
  };
  const on = (o.instrumentations ?? {}) as Record<string, boolean>;
  for (const [name, capture] of CAPTURES) if (on[name] !== false) h.stops.push(capture(h));
  // LCP is only observable, not queryable: watch it from the start for an early exit.
  let lcp: number | undefined;
  let lcpObserver: PerformanceObserver | undefined;
  try {
    lcpObserver = new PerformanceObserver((l) => l.getEntries().forEach((e) => (lcp = e.startTime)));
    lcpObserver.observe({ type: 'largest-contentful-paint', buffered: true });
  } catch {
    // no LCP in this engine (Safari)
  }
  const pageView = h.pg;
  h.stops.push(
    onHidden(() => {
      lcpObserver?.takeRecords().forEach((e) => (lcp = e.startTime));
      deliverAtExit(h, pageView, lcp);
    }),
    () => lcpObserver?.disconnect(),
  );
  afterLoadIdle(() => h.on && loadAgent(h));
  return h;
}

/** The agent's script URL: `data-agent-src`, else the agent's file beside the loader's. */
export function agentSrc(script: HTMLScriptElement | null): string {
  return script?.dataset.agentSrc || (script?.src ?? '').replace(/[^/?#]*(?:[?#].*)?$/, AGENT_FILE);
}

/** For the script tag: the agent comes as a script beside the loader, with the loader's nonce. */
export const scriptAgentLoader =
  (src: string, nonce?: string): AgentLoader =>
  () =>
    addScript(src, nonce);
