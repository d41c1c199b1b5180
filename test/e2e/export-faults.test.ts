import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, collectPageProblems, gotoWithAgent } from '../support/chromium';
import { startSite, type Site } from '../support/site';

const FIXTURES = resolve(import.meta.dirname, 'fixtures');

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

async function open(endpoint: string, delay = 100, extra = ''): Promise<{ page: Page; problems: { errors: string[] } }> {
  const page = await (await browser.newContext()).newPage();
  const problems = collectPageProblems(page);
  await gotoWithAgent(page, `${site.page.url}/exit.html?delay=${delay}&endpoint=${encodeURIComponent(endpoint)}${extra}`);
  return { page, problems };
}

const stats = (page: Page) => page.evaluate(() => (window as any).agent.stats());
const spanNames = (prefix: string) => site.receiver.spans.filter((s) => s.name.startsWith(prefix)).map((s) => s.name);

describe('collector answers', () => {
  it('503 twice (once with Retry-After), then 200: nothing lost, no duplicates, Retry-After honoured', async () => {
    // Same-origin, so the page can read Retry-After (the Collector exposes no headers to CORS).
    const { page, problems } = await open(site.sameOriginEndpoint);
    // The page-load spans leave first, so that one batch meets the 503s.
    await site.receiver.waitForSpans((s) => s.some((x) => x.name === 'documentLoad'));
    site.receiver.reset();
    const times: number[] = [];
    site.receiver.respond(({ attempt }) => {
      times.push(Date.now());
      if (attempt === 1) return { status: 503, headers: { 'retry-after': '2' } };
      if (attempt === 2) return 503;
      return 200;
    });
    await page.evaluate(() => (window as any).makeSpans(50, 'retry-'));
    await site.receiver.waitForSpans((s) => s.filter((x) => x.name.startsWith('retry-')).length >= 50, 20_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(new Set(spanNames('retry-')).size).toBe(50);
    expect(spanNames('retry-')).toHaveLength(50);
    expect(times.length).toBeGreaterThanOrEqual(3);
    expect(times[1] - times[0]).toBeGreaterThanOrEqual(1900);
    expect((await stats(page)).dropped.export_failed).toBe(0);
    expect(site.receiver.rejected).toEqual([]);
    expect(problems.errors.filter((e) => !e.includes('503'))).toEqual([]);
  });

  it('413 for bodies over a limit: batches are split until they fit, and all arrive', async () => {
    const LIMIT = 8 * 1024;
    site.receiver.respond(({ bytes }) => (bytes > LIMIT ? 413 : 200));
    const { page, problems } = await open(site.receiver.url);
    await page.evaluate(() => (window as any).makeSpans(300, 'split-'));
    await site.receiver.waitForSpans((s) => s.filter((x) => x.name.startsWith('split-')).length >= 300, 20_000);
    expect(new Set(spanNames('split-')).size).toBe(300);
    expect(spanNames('split-')).toHaveLength(300);
    const accepted = site.receiver.requests.filter((r) => r.method === 'POST' && r.status === 200);
    expect(accepted.length).toBeGreaterThan(1);
    for (const r of accepted) expect(r.bytes).toBeLessThanOrEqual(LIMIT);
    expect((await stats(page)).dropped.too_large).toBe(0);
    expect(problems.errors.filter((e) => !e.includes('413'))).toEqual([]);
  });

  it('400: not retried, the drop is counted and reported with the next export', async () => {
    // The collector refuses the batch that holds our spans, once (page-load or vitals spans
    // may leave in a batch of their own first, whenever the export timer fires).
    let refusedOnce = false;
    site.receiver.respond(({ body }) => (!refusedOnce && body.includes('"name":"bad-') && (refusedOnce = true) ? 400 : 200));
    const { page, problems } = await open(site.receiver.url);
    await page.evaluate(() => (window as any).makeSpans(20, 'bad-'));
    await expect.poll(() => stats(page).then((s) => s.dropped.export_failed), { timeout: 10_000 }).toBeGreaterThan(0);
    const refused = site.receiver.requests.find((r) => r.method === 'POST' && r.status === 400)!;
    expect(refused.spanCount).toBeGreaterThanOrEqual(20);
    expect((await stats(page)).dropped.export_failed).toBe(refused.spanCount);
    await page.evaluate(() => (window as any).makeSpans(1, 'after-'));
    const spans = await site.receiver.waitForSpans((s) => s.some((x) => x.name === 'tracelet.dropped'), 10_000);
    const report = spans.find((x) => x.name === 'tracelet.dropped')!;
    expect(report.attributes).toMatchObject({
      'tracelet.dropped.export_failed': refused.spanCount,
      'tracelet.dropped.total': refused.spanCount,
    });
    // One POST refused and never sent again: no bad- span ever arrives.
    expect(site.receiver.requests.filter((r) => r.method === 'POST' && r.status === 400)).toHaveLength(1);
    expect(spanNames('bad-')).toEqual([]);
    expect(problems.errors.filter((e) => !e.includes('400'))).toEqual([]);
  });
});

describe('collector down', () => {
  it('50,000 spans over time: bounded heap, exact drop accounting, no page errors', async () => {
    // Nothing listens on port 9 of 127.0.0.1: every export is a network error.
    const { page, problems } = await open('http://127.0.0.1:9/v1/traces', 50, '&only=spans');
    const cdp = await page.context().newCDPSession(page);
    const heap = async () => {
      await cdp.send('HeapProfiler.collectGarbage');
      return (await cdp.send('Runtime.getHeapUsage')).usedSize;
    };
    const rejections: string[] = [];
    await page.exposeFunction('reportRejection', (m: string) => rejections.push(m));
    await page.evaluate(() => addEventListener('unhandledrejection', (e) => (window as any).reportRejection(String(e.reason))));
    const sizes: number[] = [];
    for (let round = 0; round < 10; round++) {
      await page.evaluate((r) => (window as any).makeSpans(5000, `down-${r}-`), round);
      await page.waitForTimeout(100);
      if (round === 1 || round === 9) sizes.push(await heap());
    }
    const s = await stats(page);
    const dropped = Object.values(s.dropped as Record<string, number>).reduce((a, b) => a + b, 0);
    expect(s.exported).toBe(0);
    // Every span is accounted for: still held (bounded by maxQueueSize) or dropped by reason.
    // Only the test's spans exist on this page (`only=spans`).
    expect(dropped + s.queued).toBe(50_000);
    expect(s.queued).toBeLessThanOrEqual(2048);
    expect(s.dropped.queue_full).toBeGreaterThan(40_000);
    // 40,000 more spans after round 1 cost less than 2 MB of heap: nothing grows with them.
    expect(sizes[1] - sizes[0]).toBeLessThan(2 * 1024 * 1024);
    expect(rejections).toEqual([]);
    // Chromium itself logs each refused connection; nothing else may reach the console.
    expect(problems.errors.filter((e) => !/ERR_CONNECTION_REFUSED|ERR_PROXY|Failed to load resource/.test(e))).toEqual([]);
  });
});
