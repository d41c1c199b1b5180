import type { BrowserOptions } from '../options';

/*
 * The contract between the two stages. The loader (about a kilobyte, run first) captures
 * into plain records; the agent (loaded when the page is idle) adopts them as spans. Both
 * stages see one Hub: through the global `Tracelet._h` for the script tags, through the
 * module graph for `import { init } from 'tracelet'`.
 */

/** Trace id, parent span id (absent for a root) and W3C trace flags of a record. */
export interface Ids {
  t: string;
  p?: string;
  f: number;
}

/** A fetch or XHR: `k` is its Resource Timing `initiatorType`. Times are Unix epoch ms. */
export interface RequestRecord extends Ids {
  k: 'fetch' | 'xmlhttprequest';
  /** Method and absolute URL. */
  m: string;
  u: string;
  /** The span id: the one sent in `traceparent` when one was sent. */
  i: string;
  s: number;
  /** End (response headers for fetch, loadend for XHR), status (0: none), error type. */
  e?: number;
  c?: number;
  x?: string;
  /** Set once the loader itself delivered it at an exit: the agent must not send it again. */
  d?: 1;
}

/** An uncaught error or unhandled rejection, with the trace it happened in. */
export interface ErrorRecord extends Partial<Ids> {
  k: 'error' | 'unhandledrejection';
  s: number;
  /** The thrown value (an Error keeps its stack), or the message when there was none. */
  r: unknown;
}

/** A same-document URL change. */
export interface RouteRecord {
  k: 'route';
  s: number;
  from: string;
  to: string;
  /** What changed it: pushState, replaceState, popstate, hashchange, or a Navigation API type. */
  how: string;
}

export type LoaderRecord = RequestRecord | ErrorRecord | RouteRecord;

export interface Hub {
  /** The options as given (the agent parses them fully). */
  o: BrowserOptions;
  /** Resolved endpoint. */
  ep: string;
  /** `propagateTo`, and `ignoreUrls` with the endpoint, as RegExps (made at the first call). */
  rx: () => [propagateTo: RegExp[], ignore: RegExp[]];
  /** False once stopped: the wrappers pass every call straight through. */
  on: boolean;
  /** Captured and neither adopted nor sent yet (at most MAX_RECORDS). */
  q: LoaderRecord[];
  /** Records not kept because the queue was full. */
  n: number;
  /** This visit's session id and whether it is recorded. */
  sid: string;
  smp: boolean;
  /** This page view's id. */
  pv: string;
  /** The server span that served the page, until the first route change. */
  pg?: Ids;
  /** Set by the agent: the ids of the active span, if any. */
  parent?: () => Ids | undefined;
  /** Set by the agent: takes each record as it completes. */
  sink?: (r: LoaderRecord) => void;
  /** What the loader already delivered at an exit: the page load and these vitals. */
  sent: { doc?: boolean; vitals: string[] };
  /** The latest LCP entry's time, as the loader saw it (for an exit before the agent). */
  lcp?: number;
  /** Callbacks waiting for the agent. */
  ready: ((agent: never) => void)[];
  /** Undo the captures (shutdown): wrappers the page has not replaced since are taken off. */
  stops: (() => void)[];
}
