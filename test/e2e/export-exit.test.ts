import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium, collectPageProblems } from '../support/chromium';
import { startSite, type Site } from '../support/site';

const FIXTURES = resolve(import.meta.dirname, 'fixtures');
const KIB64 = 64 * 1024;

let browser: Browser;
let site: Site;

beforeAll(async () => {
  site = await startSite(FIXTURES);
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await site?.close();
});
beforeEach(() => site.receiver.reset());

const names = (prefix: string) => site.receiver.spans.filter((s) => s.name.startsWith(prefix)).map((s) => s.name);

/** Every span `prefix0..prefix{n-1}` arrived exactly once. */
async function expectAllOnce(prefix: string, n: number) {
  await site.receiver
    .waitForSpans((s) => s.filter((x) => x.name.startsWith(prefix)).length >= n, 20_000)
    .catch(() => {});
  // A little longer, so duplicates would have time to show.
  await new Promise((r) => setTimeout(r, 300));
  const got = names(prefix);
  const have = new Set(got);
  const missing = Array.from({ length: n }, (_, i) => prefix + i).filter((x) => !have.has(x));
  expect(missing.length ? `${missing.length} missing: ${missing[0]} … ${missing[missing.length - 1]}; requests: ${site.receiver.requests.map((r) => `${r.method} ${r.status} ${r.spanCount}`).join(', ')}` : 'none missing').toBe('none missing');
  expect(new Set(got).size).toBe(n);
  expect(got).toHaveLength(n);
  expect(site.receiver.rejected).toEqual([]);
  for (const r of site.receiver.requests) expect(r.bytes).toBeLessThanOrEqual(KIB64);
}

for (const where of ['same-origin', 'cross-origin'] as const) {
  describe(`page exit, ${where} endpoint`, () => {
    const endpoint = () => (where === 'same-origin' ? site.sameOriginEndpoint : site.receiver.url);
    const open = async (path = '/exit.html') => {
      // One context per test, left open: closing a context (not just a tab) cancels its
      // requests in flight, which no real tab close does.
      const page = await (await browser.newContext()).newPage();
      const problems = collectPageProblems(page);
      await page.goto(`${site.page.url}${path}?endpoint=${encodeURIComponent(endpoint())}`);
      return { page, problems };
    };

    it('200 spans, then the page navigates away at once: all 200 arrive', async () => {
      const { page, problems } = await open();
      await page.evaluate((url) => {
        (window as any).makeSpans(200, 'nav-');
        location.href = url;
      }, `${site.page.url}/blank.html`);
      await expectAllOnce('nav-', 200);
      expect(problems.errors).toEqual([]);
      await page.close();
    });

    it('2,000 spans, then a navigation to another page running tracelet: all 2,000 arrive', async () => {
      const { page, problems } = await open();
      await page.evaluate((url) => {
        (window as any).makeSpans(2000, 'many-');
        location.href = url;
      }, `${site.page.url}/exit.html?endpoint=${encodeURIComponent(endpoint())}&delay=200`);
      await expectAllOnce('many-', 2000);
      expect(problems.errors).toEqual([]);
      await page.close();
    });

    it('200 spans, then the page is closed with runBeforeUnload: all 200 arrive', async () => {
      const { page } = await open();
      await page.evaluate(() => (window as any).makeSpans(200, 'close-'));
      await page.close({ runBeforeUnload: true });
      await expectAllOnce('close-', 200);
    });
  });
}
