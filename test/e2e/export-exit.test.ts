import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, collectPageProblems, gotoWithAgent } from '../support/chromium';
import { startSite, type Site } from '../support/site';

const FIXTURES = resolve(import.meta.dirname, 'fixtures');
const KIB64 = 64 * 1024;

let browser: Browser;
let site: Site;

beforeAll(async () => {
  site = await startSite(FIXTURES, {
    // `Cache-Control: no-store` (what serveStatic sends) keeps a page out of the bfcache.
    '/bfcache.html': async (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' }).end(await readFile(resolve(FIXTURES, 'exit.html')));
    },
  });
  browser = await launchChromium({ backForwardCache: true });
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
  const dup = got.filter((x, i) => got.indexOf(x) !== i);
  if (dup.length) console.log(`exit test ${prefix}: ${dup.length} duplicated, e.g. ${dup[0]} … ${dup.at(-1)}; requests`, site.receiver.requests.map((r) => `${r.method} ${r.status} ${r.bytes}B ${r.spanCount}`).join(', '));
  if (missing.length) {
    const ranges: string[] = [];
    for (const m of missing.map((x) => Number(x.slice(prefix.length)))) {
      const last = ranges.at(-1)?.split('-');
      if (last && Number(last.at(-1)) === m - 1) ranges[ranges.length - 1] = `${last[0]}-${m}`;
      else ranges.push(String(m));
    }
    console.log(`exit test ${prefix}: missing ${ranges.join(',')}; requests`, site.receiver.requests.map((r) => `${r.method} ${r.status} ${r.bytes}B ${r.spanCount}`).join(', '));
  }
  expect(missing.length ? `${missing.length} missing: ${missing[0]} … ${missing[missing.length - 1]}; requests: ${site.receiver.requests.map((r) => `${r.method} ${r.status} ${r.spanCount}`).join(', ')}; rejected: ${site.receiver.rejected.flatMap((r) => r.violations).join(' | ').slice(0, 300) || 'none'}` : 'none missing').toBe('none missing');
  expect(new Set(got).size).toBe(n);
  expect(got).toHaveLength(n);
  expect(site.receiver.rejected).toEqual([]);
  for (const r of site.receiver.requests) expect(r.bytes).toBeLessThanOrEqual(KIB64);
}

for (const where of ['same-origin', 'cross-origin'] as const) {
  describe(`page exit, ${where} endpoint`, () => {
    const endpoint = () => (where === 'same-origin' ? site.sameOriginEndpoint : site.receiver.url);
    // 200 test spans come to about 62 KB, within the browser's 64 KiB exit budget only
    // without the page-load and vitals spans (`&only=spans`); past it, see the 400-span test.
    const open = async (path = '/exit.html', query = '') => {
      // One context per test, left open: closing a context (not just a tab) cancels its
      // requests in flight, which no real tab close does.
      const page = await (await browser.newContext()).newPage();
      const problems = collectPageProblems(page);
      await gotoWithAgent(page, `${site.page.url}${path}?endpoint=${encodeURIComponent(endpoint())}${query}`);
      return { page, problems };
    };

    it('200 spans, then the page navigates away at once: all 200 arrive', async () => {
      const { page, problems } = await open('/exit.html', '&only=spans');
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

    if (where === 'cross-origin') {
      it('2,000 spans, then a navigation while the first export waits for its answer: all arrive, at most one twice', async () => {
        // The collector takes the first POST at once but answers it only after the page is
        // gone: the page cannot know it arrived, so it sends it again. Until that first answer
        // an export carries one span, so one span at most arrives twice (not a whole batch).
        site.receiver.respond(({ attempt }) => (attempt === 1 ? { status: 200, delayMs: 3000 } : 200));
        const { page, problems } = await open();
        await page.evaluate((url) => {
          (window as any).makeSpans(2000, 'slow-');
          location.href = url;
        }, `${site.page.url}/exit.html?endpoint=${encodeURIComponent(endpoint())}&delay=200`);
        await site.receiver.waitForSpans((s) => new Set(s.filter((x) => x.name.startsWith('slow-')).map((x) => x.name)).size >= 2000, 20_000).catch(() => {});
        await new Promise((r) => setTimeout(r, 3500));
        const got = names('slow-');
        expect(new Set(got).size).toBe(2000);
        expect(got.length - 2000).toBeLessThanOrEqual(1);
        expect(site.receiver.rejected).toEqual([]);
        expect(problems.errors).toEqual([]);
        await page.close();
      });
    }

    // Same-origin, exit bodies are gzipped: 400 plain test spans fit the budget with room to
    // spare, so these spans carry 200 random letters each, which gzip cannot shrink.
    const gzipAtExit = where === 'same-origin';
    const make = gzipAtExit ? 'noisySpans' : 'makeSpans';
    const defineNoisy = (page: Page) =>
      page.evaluate(() => {
        (window as any).noisySpans = (n: number, prefix: string) => {
          const tracer = (window as any).Tracelet.getAgent().tracer;
          for (let i = 0; i < n; i++) {
            const s = tracer.startSpan(prefix + i);
            s.setAttribute('noise', Array.from({ length: 200 }, () => String.fromCharCode(97 + Math.floor(Math.random() * 26))).join(''));
            s.end();
          }
        };
      });

    // Cross-origin, before any gzipped export was answered, what plain JSON cannot fit leaves
    // gzipped on a guess (pageExit.ts); this receiver takes gzip, so all 400 leave at once.
    const guessed = where === 'cross-origin';
    it(`400 spans, more than the 64 KiB exit budget: ${guessed ? 'plain JSON, and the rest gzipped on a guess, all within it' : 'the spans that fit fill it, the rest come with the next page view'}`, async () => {
      const { page, problems } = await open('/exit.html', '&only=spans');
      await defineNoisy(page);
      // Only the exit's requests count: the page's own exports before it (its page load) do not.
      const before = site.receiver.requests.length;
      await page.evaluate(([url, make]) => {
        (window as any)[make](400, 'fill-');
        location.href = url;
      }, [`${site.page.url}/blank.html`, make] as const);
      const posted = () => site.receiver.requests.slice(before).filter((r) => r.method === 'POST').reduce((n, r) => n + r.bytes, 0);
      const least = gzipAtExit ? KIB64 * 0.9 : KIB64 - 600;
      // The exit's requests arrive one after another (later ones on a busy machine).
      await site.receiver.waitForSpans(() => (guessed ? names('fill-').length >= 400 : posted() > least), 10_000).catch(() => {});
      await new Promise((r) => setTimeout(r, 500));
      const bytes = posted();
      const first = names('fill-').length;
      const sent = site.receiver.requests.map((r) => `${r.method} ${r.status} ${r.contentEncoding ?? 'plain'} ${r.bytes}B ${r.spanCount}`).join(', ');
      expect(bytes, sent).toBeLessThanOrEqual(KIB64);
      if (guessed) expect(first, sent).toBe(400);
      else {
        // A span here is about 300 bytes: the budget is used to within two of them (gzipped,
        // cut by the compression ratio seen, to within a tenth).
        expect(bytes, sent).toBeGreaterThan(least);
        expect(first).toBeGreaterThan(150);
        expect(first).toBeLessThan(400);
      }
      // The next page view of the site sends the rest from storage.
      await gotoWithAgent(page, `${site.page.url}/exit.html?only=spans&delay=200&endpoint=${encodeURIComponent(endpoint())}`);
      await expectAllOnce('fill-', 400);
      expect(problems.errors).toEqual([]);
      await page.close();
    });

    it('400 spans, then the page is hidden but not left: what fits the budget leaves at once (beacon, or gzipped keepalive), the rest by fetch, all once', async () => {
      const { page, problems } = await open('/exit.html', '&only=spans');
      await defineNoisy(page);
      await page.evaluate((make) => {
        (window as any)[make](400, 'hidden-');
        Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
        document.dispatchEvent(new Event('visibilitychange', { bubbles: true }));
      }, make);
      await expectAllOnce('hidden-', 400);
      expect(site.receiver.requests.filter((r) => r.method === 'POST').length).toBeGreaterThanOrEqual(3);
      expect(await page.evaluate(() => (window as any).agent.stats())).toMatchObject({ exported: 400, queued: 0 });
      expect(problems.errors).toEqual([]);
      await page.close();
    });

    it('200 spans, then the page is closed with runBeforeUnload: all 200 arrive', async () => {
      const closeWith = async (prefix: string) => {
        const { page } = await open('/exit.html', '&only=spans');
        await page.evaluate((p) => (window as any).makeSpans(200, p), prefix);
        await page.close({ runBeforeUnload: true });
      };
      await closeWith('close-');
      if (where === 'cross-origin') {
        await site.receiver.waitForSpans((s) => s.length >= 200, 20_000).catch(() => {});
        // Seen once in about ten CI runs, never in 52 tries here under CPU load: the closed
        // tab's beacon was preflighted (OPTIONS answered 204) and no POST arrived whole. The
        // request was handed to Chromium's keepalive loader, which outlives the renderer; what
        // it then drops tracelet cannot send again. Only that signature (a preflight, maybe a
        // cut-off POST, status 0) earns one more try; any other loss fails at once.
        const seen = site.receiver.requests.map((r) => `${r.method} ${r.status}`);
        if (!site.receiver.spans.length && seen.includes('OPTIONS 204') && seen.every((r) => r === 'OPTIONS 204' || r === 'POST 0')) {
          console.warn('exit test: the closed tab sent its preflight and no POST; trying once more');
          site.receiver.reset();
          await closeWith('close-');
        }
      }
      await expectAllOnce('close-', 200);
    });
  });
}

describe('back/forward cache', () => {
  it('a page restored from the bfcache resumes exporting, and nothing is lost or doubled', async () => {
    const page = await (await browser.newContext()).newPage();
    const problems = collectPageProblems(page);
    await gotoWithAgent(page, `${site.page.url}/bfcache.html?delay=200&endpoint=${encodeURIComponent(site.receiver.url)}`);
    await page.evaluate(() => {
      (window as any).restored = false;
      addEventListener('pageshow', (e) => ((window as any).restored ||= e.persisted));
      (window as any).makeSpans(50, 'before-');
    });
    await page.goto(`${site.page.url}/blank.html`);
    // A bfcache restore fires pageshow, not load.
    await page.goBack({ waitUntil: 'commit' });
    await page.waitForFunction(() => (window as any).restored === true, undefined, { timeout: 10_000 });
    await page.evaluate(() => (window as any).makeSpans(50, 'after-'));
    await expectAllOnce('before-', 50);
    await expectAllOnce('after-', 50);
    expect(problems.errors).toEqual([]);
  });
});
