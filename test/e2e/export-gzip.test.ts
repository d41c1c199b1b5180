import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, collectPageProblems } from '../support/chromium';
import { startSite, type Site } from '../support/site';
import { startOtlpReceiver, type OtlpReceiver, type ReceiverOptions } from '../support/otlpReceiver';

/*
 * Issue 13, on the wire: exports are gzipped while the page is visible (CompressionStream)
 * and at exit (gzipSync into a keepalive fetch), the strict receiver takes every body, and
 * a collector that refuses gzip (415, or a CORS preflight refusing Content-Encoding) gets
 * plain JSON afterwards with nothing lost. Real Chromium, real receiver.
 */

const FIXTURES = resolve(import.meta.dirname, 'fixtures');
const KIB64 = 64 * 1024;

let browser: Browser;
let site: Site;
const extra: OtlpReceiver[] = [];

beforeAll(async () => {
  site = await startSite(FIXTURES);
  browser = await launchChromium({ backForwardCache: true });
});
afterAll(async () => {
  await browser?.close();
  await Promise.all([site?.close(), ...extra.map((r) => r.close())]);
});
beforeEach(() => site.receiver.reset());

/** A receiver of its own on another origin, answering CORS for the page like a Collector configured with `opts`. */
async function collector(opts: ReceiverOptions): Promise<OtlpReceiver> {
  const r = await startOtlpReceiver({ allowedOrigins: [site.page.url], ...opts });
  extra.push(r);
  return r;
}

/** The exit page exporting to `endpoint` (every `delay` ms), in `page`, once the agent is there. */
async function exitPage(page: Page, endpoint: string, delay: number): Promise<void> {
  await page.goto(`${site.page.url}/exit.html?only=spans&delay=${delay}&endpoint=${encodeURIComponent(endpoint)}`);
  await page.waitForFunction(() => (window as any).Tracelet?.getAgent?.() !== undefined);
}

/**
 * The next page view of the origin: its first export (one span, `name`) learns what the
 * collector makes of gzip, which settles the copy an exit kept of its guess; then it flushes.
 */
async function nextViewLearns(page: Page, r: OtlpReceiver, name: string): Promise<void> {
  await exitPage(page, r.url, 100);
  await page.evaluate((n) => (window as any).Tracelet.getAgent().tracer.startSpan(n).end(), name);
  await flush(page);
  await page.waitForFunction((key) => localStorage.getItem(key) === null, `tracelet:${r.url}:gz`);
  await flush(page);
}

/**
 * A fresh context and the exit page exporting to `endpoint`, once the agent is there, with
 * `fetchSpans(n, prefix)`: spans shaped like fetch spans (CLIENT, the HTTP attributes, two
 * network events), about 650 B of JSON each.
 */
async function open(endpoint: string, delay = 100): Promise<{ page: Page; problems: { errors: string[] } }> {
  const page = await (await browser.newContext()).newPage();
  const problems = collectPageProblems(page);
  await exitPage(page, endpoint, delay);
  await page.evaluate(() => {
    (window as any).fetchSpans = (n: number, prefix: string) => {
      const tracer = (window as any).Tracelet.getAgent().tracer;
      for (let i = 0; i < n; i++) {
        const s = tracer.startSpan(prefix + i, {
          kind: 2,
          attributes: {
            'http.request.method': 'GET',
            'url.full': `${location.origin}/api/cart/items?page=${i}&sort=price`,
            'server.address': location.hostname,
            'server.port': Number(location.port),
            'http.response.status_code': 200,
          },
        });
        s.addEvent('requestStart');
        s.addEvent('responseStart');
        s.end();
      }
    };
  });
  return { page, problems };
}

const fetchSpans = (page: Page, n: number, prefix: string) => page.evaluate(([n, prefix]) => (window as any).fetchSpans(n, prefix), [n, prefix] as const);
const flush = (page: Page) => page.evaluate(() => (window as any).Tracelet.getAgent().flush());
/** Makes `n` spans and leaves for a page without tracelet, in one task. */
const leaveAfter = (page: Page, n: number, prefix: string) =>
  page.evaluate(([n, prefix, url]) => {
    (window as any).fetchSpans(n, prefix);
    location.href = url;
  }, [n, prefix, `${site.page.url}/blank.html`] as const);

const posts = (r: OtlpReceiver) => r.requests.filter((q) => q.method === 'POST');
const preflights = (r: OtlpReceiver) => r.requests.filter((q) => q.method === 'OPTIONS').length;

/** Every span `prefix0..prefix{n-1}` arrived exactly once, and the receiver refused nothing. */
async function expectAllOnce(r: OtlpReceiver, prefix: string, n: number) {
  await r.waitForSpans((s) => s.filter((x) => x.name.startsWith(prefix)).length >= n, 20_000).catch(() => {});
  // A little longer, so duplicates would have time to show.
  await new Promise((res) => setTimeout(res, 300));
  const got = r.spans.filter((s) => s.name.startsWith(prefix)).map((s) => s.name);
  const summary = r.requests.map((q) => `${q.method} ${q.status} ${q.contentEncoding ?? 'plain'} ${q.bytes}B ${q.spanCount}`).join(', ');
  expect(new Set(got).size, summary).toBe(n);
  expect(got, summary).toHaveLength(n);
  expect(r.rejected).toEqual([]);
}

for (const where of ['same-origin', 'cross-origin'] as const) {
  describe(`gzip, ${where} endpoint`, () => {
    const endpoint = () => (where === 'same-origin' ? site.sameOriginEndpoint : site.receiver.url);

    it('visible exports are gzipped; every span arrives once; cross-origin, one preflight as before', async () => {
      const { page, problems } = await open(endpoint());
      for (let round = 0; round < 3; round++) {
        await fetchSpans(page, 100, `vis${round}-`);
        await flush(page);
      }
      for (let round = 0; round < 3; round++) await expectAllOnce(site.receiver, `vis${round}-`, 100);
      const sent = posts(site.receiver);
      expect(sent.length).toBeGreaterThanOrEqual(3);
      for (const q of sent) expect(q.contentEncoding).toBe('gzip');
      // On the wire a small fraction of the JSON.
      const wire = sent.reduce((s, q) => s + q.bytes, 0);
      const json = sent.reduce((s, q) => s + q.decodedBytes, 0);
      expect(wire).toBeLessThan(json / 4);
      expect(preflights(site.receiver)).toBe(where === 'cross-origin' ? 1 : 0);
      expect(problems.errors).toEqual([]);
      await page.close();
    });

    it('a collector answering 415 to gzip gets the same spans as plain JSON, and plain JSON afterwards: nothing lost', async () => {
      site.receiver.respond(({ contentEncoding }) => (contentEncoding === 'gzip' ? 415 : 200));
      const { page, problems } = await open(endpoint());
      await fetchSpans(page, 50, 'r415a-');
      await flush(page);
      await fetchSpans(page, 50, 'r415b-');
      await flush(page);
      await expectAllOnce(site.receiver, 'r415a-', 50);
      await expectAllOnce(site.receiver, 'r415b-', 50);
      const sent = posts(site.receiver).map((q) => `${q.status} ${q.contentEncoding ?? 'plain'}`);
      expect(sent[0]).toBe('415 gzip');
      expect(sent.slice(1).every((s) => s === '200 plain'), sent.join(', ')).toBe(true);
      expect(await page.evaluate(() => (window as any).Tracelet.getAgent().stats().dropped.export_failed)).toBe(0);
      // 415 is the collector's answer, logged by the browser as a failed resource.
      expect(problems.errors.filter((e) => !e.includes('415'))).toEqual([]);
      await page.close();
    });

    it('200 fetch spans (about 130 KB of JSON), then the page navigates away at once: all 200 arrive, gzipped, within 64 KiB', async () => {
      const { page, problems } = await open(endpoint(), 60_000);
      if (where === 'cross-origin') {
        // Cross-origin, gzip at exit waits until the collector answered one gzipped export
        // (its CORS may refuse Content-Encoding, and at exit there is no second chance).
        await fetchSpans(page, 1, 'first-');
        await flush(page);
        await expectAllOnce(site.receiver, 'first-', 1);
        site.receiver.reset();
      }
      await leaveAfter(page, 200, 'leave-');
      await expectAllOnce(site.receiver, 'leave-', 200);
      const sent = posts(site.receiver);
      for (const q of sent) expect(q.contentEncoding).toBe('gzip');
      // As plain JSON they would be twice the browser's budget; gzipped, well inside it.
      expect(sent.reduce((s, q) => s + q.decodedBytes, 0)).toBeGreaterThan(KIB64 * 1.5);
      expect(sent.reduce((s, q) => s + q.bytes, 0)).toBeLessThanOrEqual(KIB64);
      expect(problems.errors).toEqual([]);
    });
  });
}

describe('cross-origin collectors configured otherwise', () => {
  it("the Collector's default CORS (no Content-Encoding allowed): plain JSON after one refused preflight, nothing lost, exit by plain beacon", async () => {
    const r = await collector({ allowedHeaders: [] });
    const { page } = await open(r.url);
    await fetchSpans(page, 30, 'cors-a-');
    await flush(page);
    await fetchSpans(page, 30, 'cors-b-');
    await flush(page);
    await expectAllOnce(r, 'cors-a-', 30);
    await expectAllOnce(r, 'cors-b-', 30);
    // The refused gzip preflight, then the one for plain JSON (cached after).
    expect(preflights(r)).toBe(2);
    expect(posts(r).every((q) => q.contentEncoding === undefined)).toBe(true);
    expect(await page.evaluate(() => (window as any).Tracelet.getAgent().stats().dropped.export_failed)).toBe(0);
    // Chromium holds a keepalive body's share of the 64 KiB a moment after it was answered.
    await new Promise((res) => setTimeout(res, 1500));
    r.reset();
    await page.evaluate(([url]) => {
      (window as any).fetchSpans(60, 'cors-exit-');
      location.href = url;
    }, [`${site.page.url}/blank.html`] as const);
    await expectAllOnce(r, 'cors-exit-', 60);
    expect(posts(r).every((q) => q.contentEncoding === undefined)).toBe(true);
  });

  it('a preflight expired by the time the page leaves (no max-age: 5 s in Chromium): the gzipped keepalive preflights again and arrives', async () => {
    const r = await collector({ maxAge: 1 });
    const { page } = await open(r.url);
    await fetchSpans(page, 1, 'pre-');
    await flush(page);
    await expectAllOnce(r, 'pre-', 1);
    await new Promise((res) => setTimeout(res, 1500));
    r.reset();
    await leaveAfter(page, 200, 'late-');
    await expectAllOnce(r, 'late-', 200);
    expect(preflights(r)).toBeGreaterThanOrEqual(1);
    expect(posts(r).every((q) => q.contentEncoding === 'gzip')).toBe(true);
  });

  it('left before any gzipped export was answered: plain JSON where it fits, the rest gzipped on a guess; all 200 arrive once, and the next page view drops the copy', async () => {
    const r = await collector({});
    const { page, problems } = await open(r.url, 60_000);
    await leaveAfter(page, 200, 'guess-');
    await expectAllOnce(r, 'guess-', 200);
    const sent = posts(r);
    // About 130 KB of JSON: some plain (a beacon), the rest gzipped, within the browser's 64 KiB.
    expect(sent.some((q) => q.contentEncoding === undefined) && sent.some((q) => q.contentEncoding === 'gzip'), sent.map((q) => `${q.contentEncoding} ${q.bytes}`).join(', ')).toBe(true);
    expect(sent.reduce((n, q) => n + q.bytes, 0)).toBeLessThanOrEqual(KIB64);
    const copies = () => page.evaluate((key) => localStorage.getItem(key), `tracelet:${r.url}:gz`);
    expect(await copies()).toContain('guess-');
    // The next page view's first export learns that gzip passes: the copy goes, unsent.
    await nextViewLearns(page, r, 'next-0');
    await expectAllOnce(r, 'next-', 1);
    await expectAllOnce(r, 'guess-', 200);
    expect(problems.errors).toEqual([]);
  });

  it("the same under the Collector's default CORS: the guess dies at its preflight, and the next page view, once it learned, sends the copy: all 200 once", async () => {
    const r = await collector({ allowedHeaders: [] });
    const { page } = await open(r.url, 60_000);
    await leaveAfter(page, 200, 'refused-');
    // What plain JSON could carry arrives now; the gzipped guess never leaves the browser.
    await r.waitForSpans((s) => s.some((x) => x.name.startsWith('refused-')), 10_000);
    await new Promise((res) => setTimeout(res, 1000));
    const atExit = r.spans.filter((x) => x.name.startsWith('refused-')).length;
    expect(atExit).toBeGreaterThan(20);
    expect(atExit).toBeLessThan(200);
    expect(posts(r).every((q) => q.contentEncoding === undefined)).toBe(true);
    await nextViewLearns(page, r, 'then-0');
    await expectAllOnce(r, 'refused-', 200);
    await expectAllOnce(r, 'then-', 1);
  });

  it('the next page view remembers that gzip was taken: left at once, it still exits gzipped', async () => {
    const r = await collector({});
    const { page } = await open(r.url);
    await fetchSpans(page, 1, 'seen-');
    await flush(page);
    await expectAllOnce(r, 'seen-', 1);
    await exitPage(page, r.url, 60_000);
    r.reset();
    await page.evaluate(([url]) => {
      const tracer = (window as any).Tracelet.getAgent().tracer;
      for (let i = 0; i < 200; i++) {
        const s = tracer.startSpan('next-' + i, { kind: 2, attributes: { 'url.full': `${location.origin}/api/cart/items?page=${i}&sort=price`, 'http.request.method': 'GET' } });
        s.addEvent('requestStart');
        s.end();
      }
      location.href = url;
    }, [`${site.page.url}/blank.html`] as const);
    await expectAllOnce(r, 'next-', 200);
    expect(posts(r).every((q) => q.contentEncoding === 'gzip')).toBe(true);
  });
});
