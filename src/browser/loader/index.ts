import { AGENT_FILE } from '../constants';
import { captureErrors } from './errors';
import { checkOptions } from './options';
import { captureFetch } from './fetch';
import type { BrowserOptions } from '../options';
import type { Hub, Ids } from './hub';
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

/** The loader's own delivery at an exit (loader/exit.ts `watchExit`), until its stop. */
export type ExitWatch = (h: Hub, page: () => Ids | undefined) => () => void;

/**
 * How that delivery comes: in the loader's own file (script tag: it must work when the
 * agent never arrives), as a chunk asked for at once (ESM: the app's first chunk holds the
 * capture alone), or not at all (the eager builds start the agent with the loader, and
 * the agent owns every exit).
 */
export type ExitLoader = (use: (watch: ExitWatch) => void) => void;

/**
 * Stage one. Starts capturing at once, delivers by itself at an exit until the agent runs,
 * and loads the agent after the load event when the page is idle. Undefined, with the page
 * untouched, when an option is wrong.
 */
export function startLoader(o: BrowserOptions, loadAgent: (h: Hub) => void, exit?: ExitLoader): Hub | undefined {
  const checked = checkOptions(o);
  if (!checked) return undefined;
  // Read when first needed, not while the page loads: the first sessionStorage access of a
  // page costs milliseconds in Chromium, and the navigation entry is there until the end.
  const session = once(() => loadSession(o.sampleRate ?? 1));
  const page = once(pageIds);
  const pageView = once(() => hex(8));
  let routed = false;
  const h: Hub = {
    o,
    ...checked,
    on: true,
    q: [],
    n: 0,
    get sid() {
      return session().id;
    },
    get smp() {
      return session().sampled;
    },
    get pv() {
      return pageView();
    },
    // The page's server span, until the first route change.
    get pg() {
      return routed ? undefined : page();
    },
    set pg(ids) {
      routed = !ids;
    },
    sent: { vitals: [] },
    ready: [],
    stops: [],
  };
  const on = (o.instrumentations ?? {}) as Record<string, boolean>;
  for (const [name, capture] of CAPTURES) if (on[name] !== false) h.stops.push(capture(h));
  // (A chunk that comes after a shutdown watches nothing.)
  exit?.((watch) => h.on && h.stops.push(watch(h, page)));
  afterLoadIdle(() => h.on && loadAgent(h));
  return h;
}

/** `f()` on the first call, its result after. */
const once = <T>(f: () => T) => {
  let done: { v: T } | undefined;
  return () => (done ??= { v: f() }).v;
};

/** The agent's script URL: `data-agent-src`, else the agent's file beside the loader's. */
export function agentSrc(script: HTMLScriptElement | null): string {
  return script?.dataset.agentSrc || (script?.src ?? '').replace(/[^/?#]*(?:[?#].*)?$/, AGENT_FILE);
}

/**
 * For the script tag: the agent comes as a script beside the loader, with the loader's nonce.
 * Its URL is worked out when it is needed, after the load event, not while the page loads.
 */
export const scriptAgentLoader =
  (script: HTMLScriptElement | null): AgentLoader =>
  () =>
    addScript(agentSrc(script), script?.nonce);
