import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { pollPage } from './poll';
import type { EngineBrowser, EnginePage, LaunchOptions, PageFunction } from './types';

/** Nothing listens here: every proxied request dies at once, as Chromium's --proxy-server does. */
const DEAD_PROXY = { host: '127.0.0.1', port: 9 };

/*
 * Network containment for Firefox ESR (checked with a recording proxy in place of the dead one:
 * with these prefs the only non-page traffic is remote-settings CONNECTs to
 * firefox.settings.services.mozilla.com, and they end at the proxy). Every scheme goes to
 * the dead proxy, loopback is exempt (the test servers), DNS never leaves (socks_remote_dns,
 * TRR off), and the background services that would call home are off besides.
 * puppeteer-core adds its own test profile prefs (no updates, no safebrowsing, a dummy
 * remote-settings server) and deletes the fresh profile on close.
 */
export const FIREFOX_PREFS: Record<string, string | number | boolean> = {
  'network.proxy.type': 1,
  'network.proxy.http': DEAD_PROXY.host,
  'network.proxy.http_port': DEAD_PROXY.port,
  'network.proxy.ssl': DEAD_PROXY.host,
  'network.proxy.ssl_port': DEAD_PROXY.port,
  'network.proxy.socks': DEAD_PROXY.host,
  'network.proxy.socks_port': DEAD_PROXY.port,
  'network.proxy.socks_remote_dns': true,
  'network.proxy.no_proxies_on': '127.0.0.1,localhost,[::1]',
  'network.proxy.allow_hijacking_localhost': false,
  'network.proxy.failover_direct': false,
  'network.trr.mode': 5,
  'network.dns.disablePrefetch': true,
  'network.predictor.enabled': false,
  'network.prefetch-next': false,
  'network.captive-portal-service.enabled': false,
  'network.connectivity-service.enabled': false,
  'app.update.auto': false,
  'app.update.enabled': false,
  'browser.region.network.url': '',
  'browser.region.update.enabled': false,
  'browser.safebrowsing.provider.mozilla.updateURL': '',
  'browser.safebrowsing.provider.google4.updateURL': '',
  'dom.push.connection.enabled': false,
  'extensions.blocklist.enabled': false,
  'security.OCSP.enabled': 0,
  'security.remote_settings.crlite_filters.enabled': false,
  'toolkit.telemetry.enabled': false,
  'toolkit.telemetry.unified': false,
  'toolkit.telemetry.server': '',
  'datareporting.policy.dataSubmissionEnabled': false,
  'messaging-system.rsexperimentloader.enabled': false,
  'app.shield.optoutstudies.enabled': false,
};

export const FIREFOX_PATH = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr';

/** Firefox ESR through puppeteer-core over WebDriver BiDi, headless, on a fresh profile. */
export async function launchFirefoxEngine(_opts: LaunchOptions = {}): Promise<EngineBrowser> {
  // Firefox keeps its back/forward cache on under automation: nothing to switch.
  const browser: Browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX_PATH,
    headless: true,
    extraPrefsFirefox: FIREFOX_PREFS,
  });
  return {
    engine: 'firefox',
    async newPage() {
      // A user context per page (fresh cookies and storage), left open when the tab closes.
      const context = await browser.createBrowserContext();
      return wrap(await context.newPage());
    },
    close: () => browser.close(),
  };
}

function wrap(page: Page): EnginePage {
  const problems: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const { url, lineNumber } = msg.location();
    problems.push(`console.error: ${msg.text()}${url ? ` (${url}:${lineNumber})` : ''}`);
  });
  page.on('pageerror', (err) => problems.push(`pageerror: ${(err as Error).stack ?? String(err)}`));
  const evaluate = <R, A>(fn: PageFunction<A, R>, arg?: A): Promise<R> => page.evaluate(fn as any, arg) as Promise<R>;
  return {
    engine: 'firefox',
    problems,
    seesProblems: true,
    async goto(url) {
      await page.goto(url);
    },
    evaluate,
    waitFor: (fn, arg, opts) => pollPage('firefox', evaluate, fn, arg, opts),
    click: (selector) => page.click(selector),
    async back() {
      await page.evaluate(() => void setTimeout(() => history.back(), 0));
    },
    close: () => page.close({ runBeforeUnload: true }),
  };
}
