import { chromium, type Browser, type Page } from 'playwright-core';

/*
 * Network containment, checked with strace on Chromium 156 (Debian) + playwright-core 1.65:
 * - --proxy-server=http://127.0.0.1:9 (nothing listens there) sends every non-loopback
 *   request, WebSockets and https CONNECTs included, to a dead end: net::ERR_PROXY_CONNECTION_FAILED,
 *   and no DNS lookups happen. Even with --disable-background-networking Chromium still tries
 *   update.googleapis.com and accounts.google.com; the proxy is what stops them.
 * - Loopback (127.0.0.0/8, [::1], localhost) bypasses the proxy implicitly. That is what lets
 *   the test servers work, so no --proxy-bypass-list: `<-loopback>` would remove that bypass
 *   and send 127.0.0.1 to the dead proxy too.
 * - WebRTC UDP (STUN, mDNS host candidates to 224.0.0.251) ignores the proxy;
 *   --webrtc-ip-handling-policy=disable_non_proxied_udp stops it. The older
 *   --force-webrtc-ip-handling-policy spelling is silently ignored by this Chromium.
 */
export const CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--proxy-server=http://127.0.0.1:9',
  '--webrtc-ip-handling-policy=disable_non_proxied_udp',
];

export async function launchChromium(opts: { backForwardCache?: boolean } = {}): Promise<Browser> {
  // launch() (not launchPersistentContext) already runs on a fresh temporary profile that
  // Playwright deletes on close, and newContext() isolates tests sharing one browser.
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: [...CHROMIUM_ARGS],
    // Playwright turns the bfcache off by default; page-lifecycle tests need it as users have it.
    ignoreDefaultArgs: opts.backForwardCache ? ['--disable-back-forward-cache'] : [],
  });
}

/**
 * Records what should never happen on a test page: console errors, uncaught exceptions
 * and unhandled rejections (both arrive as `pageerror`), and renderer crashes.
 */
export function collectPageProblems(page: Page): { errors: string[] } {
  const errors: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const { url, lineNumber } = msg.location();
    // Chromium asks every origin for /favicon.ico and logs the 404 as a console error.
    if (/^[a-z]+:\/\/[^/]+\/favicon\.ico(?:[?#]|$)/.test(url)) return;
    errors.push(`console.error: ${msg.text()}${url ? ` (${url}:${lineNumber})` : ''}`);
  });
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.stack ?? err.message}`));
  page.on('crash', () => errors.push('page crashed'));
  return { errors };
}

/**
 * Opens `url` and waits until tracelet's agent runs: the script tag's loader adds it after
 * the load event, when the page is idle.
 */
export async function gotoWithAgent(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.waitForFunction(() => (window as any).Tracelet?.getAgent?.(), undefined, { timeout: 15_000 });
}
