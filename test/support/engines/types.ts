/** The browser engines every cross-engine e2e suite runs in. */
export type EngineName = 'chromium' | 'firefox' | 'webkit';

/** Runs in the page: a function of one JSON-able argument, its result JSON-able too. */
export type PageFunction<A, R> = (arg: A) => R | Promise<R>;

/**
 * One tab, the same for every engine: what the drivers (playwright-core, puppeteer-core over
 * WebDriver BiDi, W3C WebDriver) have in common, and no more.
 */
export interface EnginePage {
  readonly engine: EngineName;
  /** Navigates and waits for the load event. */
  goto(url: string): Promise<void>;
  /** Runs `fn(arg)` in the page and returns what its promise resolves to. */
  evaluate<R, A = undefined>(fn: PageFunction<A, R>, arg?: A): Promise<R>;
  /**
   * Polls `fn(arg)` until it returns something truthy and returns that; a page navigating
   * meanwhile is polled again. Throws after `timeout` ms, naming the engine.
   */
  waitFor<R, A = undefined>(fn: PageFunction<A, R>, arg?: A, opts?: { timeout?: number; what?: string }): Promise<R>;
  /** A trusted click (input events the engine itself dispatches) on the first match. */
  click(selector: string): Promise<void>;
  /** history.back() without waiting: a bfcache restore fires pageshow, not load; poll for what you expect. */
  back(): Promise<void>;
  /** Closes the tab as a user would: the browser keeps running, so requests the page left in flight may finish. */
  close(): Promise<void>;
  /**
   * Console errors and uncaught errors this engine's driver reports (Chromium and Firefox);
   * WebDriver classic sees none, so WebKit tests that care watch with a fixture script.
   */
  readonly problems: string[];
  /** Whether `problems` is filled by this engine. */
  readonly seesProblems: boolean;
}

export interface EngineBrowser {
  readonly engine: EngineName;
  /** A new tab in a fresh profile/context: no cookies, storage or cache from another test. */
  newPage(): Promise<EnginePage>;
  close(): Promise<void>;
}

export interface LaunchOptions {
  /** Keep the back/forward cache on, as users have it (Playwright turns it off in Chromium). */
  backForwardCache?: boolean;
}
