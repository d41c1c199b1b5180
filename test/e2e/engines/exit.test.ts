import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { startSite, type Site } from '../../support/site';
import { forEachEngine, waitForAgent, type EnginePage } from '../../support/engines';
import { expectAllOnce, FIXED_BUGS, KIB64, quiet } from './expect';

/*
 * Issue 16: the page-exit path (navigate, close, hidden; same- and cross-origin endpoint)
 * and storage for the next page view, in every engine, with test/e2e/fixtures/exit.html.
 */

const FIXTURES = resolve(import.meta.dirname, '../fixtures');
let site: Site;

beforeAll(async () => {
  site = await startSite(FIXTURES);
});
afterAll(async () => {
  await site?.close();
});
beforeEach(async () => {
  await quiet(site.receiver);
  site.receiver.reset();
});

const names = (prefix: string) => site.receiver.spans.filter((s) => s.name.startsWith(prefix)).map((s) => s.name);

/**
 * makeSpans(n, prefix), then the page goes to `url`: in the same task (`later` false), or in
 * the next one, when an export of the first full batch may already be in flight.
 */
const spansThenLeave = (page: EnginePage, n: number, prefix: string, url: string, later = false) =>
  page.evaluate(
    ([n, prefix, url, later]) => {
      (window as any).makeSpans(n, prefix);
      if (later) setTimeout(() => (location.href = url));
      else location.href = url;
    },
    [n, prefix, url, later] as [number, string, string, boolean],
  ).catch(() => {}); // a driver may lose the script's answer to the navigation it started

for (const where of ['same-origin', 'cross-origin'] as const) {
  forEachEngine(`page exit, ${where} endpoint,`, ({ engine, newPage }) => {
    const endpoint = () => (where === 'same-origin' ? site.sameOriginEndpoint : site.receiver.url);
    // 200 test spans come to about 62 KB: within the 64 KiB exit budget only without the
    // page-load and vitals spans (`&only=spans`).
    // Firefox stops a closing tab's running script: under CPU load (two busy-loops) the
    // `pagehide` handler was cut short in 4 closes of 25 while it encoded or gzipped, and the
    // spans it held were lost (`missing 0-126`). The exit path now leaves them to the
    // `visibilitychange` that follows (src/browser/pageExit.ts); 1 close in 60 still saw both
    // handlers stopped before a request left. One retry there for that, not a looser count.
    const retry = engine === 'firefox' ? 1 : 0;
    const open = async (query = '') => {
      const page = await newPage();
      await page.goto(`${site.page.url}/exit.html?endpoint=${encodeURIComponent(endpoint())}${query}`);
      await waitForAgent(page);
      return page;
    };

    it('200 spans, then the page navigates away at once: all 200 arrive', async () => {
      const page = await open('&only=spans');
      await spansThenLeave(page, 200, 'nav-', `${site.page.url}/blank.html`);
      await expectAllOnce(site.receiver, 'nav-', 200);
      expect(page.problems).toEqual([]);
      await page.close();
    });

    it('2,000 spans, then a navigation to another page running tracelet: all 2,000 arrive', { retry }, async () => {
      const page = await open();
      await spansThenLeave(page, 2000, 'many-', `${site.page.url}/exit.html?endpoint=${encodeURIComponent(endpoint())}&delay=200`);
      await expectAllOnce(site.receiver, 'many-', 2000, 30_000);
      expect(page.problems).toEqual([]);
      await page.close();
    });

    // Found by this suite (Chromium; WebKit once): a full batch's export in flight when the page
    // is left a task later was sent again, about 200 spans twice. Chromium rejects a keepalive
    // fetch in flight a task before `pagehide`, yet delivers it (browser/transport.ts, LEAVE_GRACE_MS).
    it('2,000 spans, then a navigation a task later, with an export in flight: all arrive once', async () => {
      const page = await open();
      await spansThenLeave(page, 2000, 'later-', `${site.page.url}/exit.html?endpoint=${encodeURIComponent(endpoint())}&delay=200`, true);
      await expectAllOnce(site.receiver, 'later-', 2000, 30_000);
      await page.close();
    });

    it('400 spans, more than the 64 KiB exit budget: what fits leaves at exit, the rest with the next page view', { retry }, async () => {
      const page = await open('&only=spans');
      await spansThenLeave(page, 400, 'fill-', `${site.page.url}/blank.html`);
      await site.receiver.waitForSpans((s) => s.length > 0, 10_000).catch(() => {});
      await new Promise((r) => setTimeout(r, 500));
      const posts = site.receiver.requests.filter((r) => r.method === 'POST');
      const bytes = posts.reduce((n, r) => n + r.bytes, 0);
      expect(bytes, posts.map((r) => `${r.status} ${r.bytes}B ${r.spanCount}`).join(', ')).toBeLessThanOrEqual(KIB64);
      expect(names('fill-').length).toBeGreaterThan(150);
      // Gzipped at exit (same-origin), all 400 may fit.
      expect(names('fill-').length).toBeLessThanOrEqual(400);
      // The next page view of the site sends the rest from storage.
      await page.goto(`${site.page.url}/exit.html?only=spans&delay=200&endpoint=${encodeURIComponent(endpoint())}`);
      await expectAllOnce(site.receiver, 'fill-', 400);
      expect(page.problems).toEqual([]);
      await page.close();
    });

    it('400 spans, then the page is hidden but not left: all leave, once, and none stay queued', async () => {
      const page = await open('&only=spans');
      await page.evaluate(() => {
        (window as any).makeSpans(400, 'hidden-');
        Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
        document.dispatchEvent(new Event('visibilitychange', { bubbles: true }));
      });
      await expectAllOnce(site.receiver, 'hidden-', 400);
      expect(await page.waitFor(() => (window as any).Tracelet.getAgent().stats().queued === 0)).toBe(true);
      expect(await page.evaluate(() => (window as any).Tracelet.getAgent().stats())).toMatchObject({ exported: 400, queued: 0 });
      expect(page.problems).toEqual([]);
      await page.close();
    });

    // Firefox loses the second cross-origin beacon of a tab closing while the first one's
    // CORS preflight is pending (sendBeacon said yes): a bug the exit path must work around.
    const knownLoss = where === 'cross-origin' && engine === 'firefox' && !FIXED_BUGS;
    it.skipIf(knownLoss)('200 spans, then the tab is closed: all 200 arrive', { retry }, async () => {
      const page = await open('&only=spans');
      await page.evaluate(() => (window as any).makeSpans(200, 'close-'));
      await page.close();
      await expectAllOnce(site.receiver, 'close-', 200);
    });
    // The back/forward cache on, as users have it (Playwright turns it off in Chromium).
  }, { backForwardCache: true });
}
