/* Numbers both stages share, in one place. */

/** sessionStorage key of the visit (see session.ts). */
export const SESSION_KEY = 'tracelet.session';
/** A visit ends after this long without activity… */
export const SESSION_IDLE_MS = 30 * 60 * 1000;
/** …and lasts this long at most. */
export const SESSION_MAX_MS = 4 * 60 * 60 * 1000;

/** Records the loader keeps before the agent arrives; past it they are counted, not kept. */
export const MAX_RECORDS = 100;
/** The agent is loaded this long after the load event at the latest, idle or not. */
export const AGENT_IDLE_TIMEOUT_MS = 3000;
/** The agent's file, next to the loader's unless `data-agent-src` says otherwise. */
export const AGENT_FILE = 'tracelet.agent.min.js';

/** Chromium, Firefox and Safari give a page 64 KiB of keepalive/beacon body in flight. */
export const KEEPALIVE_BUDGET = 64 * 1024;

/** The names `instrumentations` takes: the agent's features (its option rules and the loader's share them). */
export const INSTRUMENTATIONS = ['documentLoad', 'fetch', 'xhr', 'webVitals', 'errors', 'routeChanges'] as const;
