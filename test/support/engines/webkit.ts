import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { pollPage } from './poll';
import { startXvfb, stopProcess, type Display } from './xvfb';
import type { EngineBrowser, EnginePage, LaunchOptions, PageFunction } from './types';

export const WEBKIT_DRIVER = process.env.WEBKIT_DRIVER ?? '/usr/bin/WebKitWebDriver';
/** The W3C WebDriver key of an element reference. */
const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';
/** Longest a WebDriver command may take (a page load included). */
const COMMAND_TIMEOUT_MS = 60_000;
/** A new session (MiniBrowser starting) takes a second or two; past this it is retried. */
const SESSION_TIMEOUT_MS = 25_000;
/** How long a closed page's browser lives on, for the requests the page left in flight. */
const CLOSED_PAGE_LINGER_MS = 10_000;

/*
 * WebKitGTK (MiniBrowser) through WebKitWebDriver, spoken to directly in W3C WebDriver
 * (a dozen JSON commands over HTTP; selenium-webdriver dropped its WebKitGTK module and
 * needs Node 22). WebKitWebDriver runs one session at a time, so each page has its own
 * driver and browser process: a fresh profile per page, as a new context is elsewhere.
 * Containment: the session's proxy capability sends everything but loopback to a dead
 * proxy (checked with a recording proxy: MiniBrowser itself makes no request besides the
 * page's). Needs a display: Xvfb, started here and stopped on close.
 */
export async function launchWebKitEngine(_opts: LaunchOptions = {}): Promise<EngineBrowser> {
  // WebKit keeps its page cache on under automation: nothing to switch.
  const display = await startXvfb();
  const pages: Driver[] = [];
  return {
    engine: 'webkit',
    async newPage() {
      // Under load MiniBrowser now and then never answers the new session: one more try.
      let driver: Driver;
      try {
        driver = await startDriver(display);
      } catch {
        driver = await startDriver(display);
      }
      pages.push(driver);
      return wrap(driver);
    },
    async close() {
      await Promise.all(pages.map((d) => d.quit()));
      await display.stop();
    },
  };
}

const SESSION_CAPABILITIES = {
  alwaysMatch: {
    // Everything but loopback goes to a dead proxy (nothing listens on port 9).
    proxy: { proxyType: 'manual', httpProxy: '127.0.0.1:9', sslProxy: '127.0.0.1:9', noProxy: ['127.0.0.1', 'localhost', '[::1]'] },
    timeouts: { script: 60_000, pageLoad: 60_000, implicit: 0 },
  },
};

async function freePort(): Promise<number> {
  return new Promise((done, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => done(port));
    });
  });
}

interface Driver {
  command<T>(method: string, path: string, body?: unknown): Promise<T>;
  quit(): Promise<void>;
}

/** A new driver and session; once more with a new driver if the session does not start (seen under CI load). */
const startDriver = (display: Display): Promise<Driver> => startDriverOnce(display).catch(() => startDriverOnce(display));

async function startDriverOnce(display: Display): Promise<Driver> {
  const port = await freePort();
  const proc: ChildProcess = spawn(WEBKIT_DRIVER, [`--port=${port}`, '--host=local'], {
    env: { ...process.env, DISPLAY: display.name },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  proc.stderr!.on('data', (d) => (log = (log + d).slice(-4000)));
  const spawned = new Promise<void>((_, reject) => proc.once('error', (e) => reject(new Error(`cannot start ${WEBKIT_DRIVER} (apt-get install webkit2gtk-driver): ${e.message}`))));
  spawned.catch(() => {});
  const base = `http://127.0.0.1:${port}`;
  const raw = async <T>(method: string, path: string, body?: unknown, timeout = COMMAND_TIMEOUT_MS): Promise<T> => {
    // Bounded, so a hung browser fails the test with the command that hung.
    const res = await fetch(base + path, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeout),
    }).catch((e: Error) => {
      throw new Error(`webkit: ${method} ${path} ${body === undefined ? '' : JSON.stringify(body).slice(0, 200)}: ${e.message}`, { cause: e });
    });
    const json = (await res.json()) as { value: any };
    if (!res.ok) throw new Error(`webkit: ${method} ${path}: ${json.value?.error}: ${json.value?.message}`);
    return json.value as T;
  };
  for (let i = 0; ; i++) {
    try {
      await Promise.race([raw('GET', '/status'), spawned]);
      break;
    } catch (e) {
      if (i >= 100 || proc.exitCode !== null) throw new Error(`webkit: WebKitWebDriver did not answer: ${(e as Error).message} ${log}`, { cause: e });
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const session = await raw<{ sessionId: string }>('POST', '/session', {
    capabilities: SESSION_CAPABILITIES,
  }, SESSION_TIMEOUT_MS).catch(async (e) => {
    await stopProcess(proc);
    throw e;
  });
  const prefix = `/session/${session.sessionId}`;
  let quitting: Promise<void> | undefined;
  return {
    command: (method, path, body) => raw(method, prefix + path, body),
    quit() {
      quitting ??= (async () => {
        await raw('DELETE', prefix).catch(() => {});
        await stopProcess(proc);
      })();
      return quitting;
    },
  };
}

/** An async WebDriver script that runs `fn(arg)` and reports its value or its error. */
function script(fn: PageFunction<any, any>): string {
  return `const done = arguments[arguments.length - 1];
Promise.resolve().then(() => (${fn.toString()})(arguments[0]))
  .then((value) => done({ ok: true, value: value === undefined ? null : value }), (e) => done({ ok: false, error: String(e && e.stack || e) }));`;
}

function wrap(driver: Driver): EnginePage {
  const evaluate = async <R, A>(fn: PageFunction<A, R>, arg?: A): Promise<R> => {
    const r = await driver.command<{ ok: boolean; value: R; error: string }>('POST', '/execute/async', { script: script(fn), args: [arg ?? null] });
    // A navigation started by the script may end it before it reports.
    if (r === null) return undefined as R;
    if (!r.ok) throw new Error(`webkit: evaluate failed: ${r.error}`);
    return r.value;
  };
  return {
    engine: 'webkit',
    problems: [],
    seesProblems: false,
    async goto(url) {
      await driver.command('POST', '/url', { url });
    },
    evaluate,
    waitFor: (fn, arg, opts) => pollPage('webkit', evaluate, fn, arg, opts),
    async click(selector) {
      const el = await driver.command<Record<string, string>>('POST', '/element', { using: 'css selector', value: selector });
      await driver.command('POST', `/element/${el[ELEMENT]}/click`, {});
    },
    async back() {
      await evaluate(() => void setTimeout(() => history.back(), 0));
    },
    async close() {
      // Closing the last window would end the session and kill the browser with whatever
      // the page left in flight: open another first, as a tab closes in a browser that stays.
      const handle = await driver.command<string>('GET', '/window');
      const other = await driver.command<{ handle: string }>('POST', '/window/new', { type: 'tab' });
      await driver.command('POST', '/window', { handle });
      await driver.command('DELETE', '/window');
      await driver.command('POST', '/window', { handle: other.handle });
      // One MiniBrowser per page: let what the page left in flight finish, then free it.
      setTimeout(() => void driver.quit(), CLOSED_PAGE_LINGER_MS).unref();
    },
  };
}
