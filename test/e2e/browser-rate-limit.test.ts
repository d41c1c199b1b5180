import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { collectPageProblems, gotoWithAgent, launchChromium } from '../support/chromium';
import { startSite, type Site } from '../support/site';
import type { ReceivedSpan } from '../support/otlpReceiver';

const FIXTURES = resolve(import.meta.dirname, 'fixtures');
const CLIENT = 3; // OTLP SpanKind

let browser: Browser;
let site: Site;

beforeAll(async () => {
  site = await startSite(FIXTURES, {
    // No data-* attribute for the limit: the page calls init itself, with `?max=` as maxSpansPerSecond.
    '/rate.html': (req, res) => {
      const q = new URL(req.url ?? '/', 'http://x').searchParams;
      const options = {
        serviceName: q.get('service'),
        endpoint: site.receiver.url,
        ...(q.has('max') && { maxSpansPerSecond: Number(q.get('max')) }),
        // Only fetch spans, so every span the page makes is one the test counts.
        ...(q.has('only-fetch') && { instrumentations: { documentLoad: false, xhr: false, webVitals: false, errors: false, routeChanges: false } }),
      };
      res
        .writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
        .end(`<!doctype html><html><head><meta charset="utf-8"><script src="/dist/tracelet.min.js"></script><script>Tracelet.init(${JSON.stringify(options)})</script></head><body>rate</body></html>`);
    },
  });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await site?.close();
});

/** Makes `n` fetches at once (each body read, so each span ends at its entry), flushes, and returns the stats and how long it all took. */
function fetchAll(page: Page, n: number) {
  return page.evaluate(async (n) => {
    const t0 = performance.now();
    await Promise.all(Array.from({ length: n }, (_, i) => fetch(`/same-origin.json?n=${i}`).then((r) => r.text())));
    const agent = (window as any).Tracelet.getAgent();
    await agent.flush();
    return { ms: performance.now() - t0, stats: agent.stats() };
  }, n);
}

const fetchSpans = (spans: ReceivedSpan[], service: string) =>
  spans.filter((s) => s.resource['service.name'] === service && s.kind === CLIENT && /\/same-origin\.json\?n=\d+$/.test(String(s.attributes['url.full'])));
const reportedRateLimited = (spans: ReceivedSpan[], service: string) =>
  spans
    .filter((s) => s.resource['service.name'] === service && s.name === 'tracelet.dropped')
    .reduce((n, s) => n + Number(s.attributes['tracelet.dropped.rate_limited'] ?? 0), 0);

describe('maxSpansPerSecond in Chromium', () => {
  it('50 fetches at once at maxSpansPerSecond 5: about 5 spans leave, the rest are counted and reported exactly', async () => {
    site.receiver.reset();
    const service = 'rate-5';
    const page = await browser.newPage();
    const problems = collectPageProblems(page);
    await gotoWithAgent(page, `${site.page.url}/rate.html?service=${service}&max=5&only-fetch`);
    const { ms, stats } = await fetchAll(page, 50);
    // Counts still unreported after the last export leave with the page.
    await page.goto(`${site.page.url}/blank.html`);
    const spans = await site.receiver.waitForSpans((s) => fetchSpans(s, service).length + reportedRateLimited(s, service) >= 50, 15_000);

    const delivered = fetchSpans(spans, service);
    expect(new Set(delivered.map((s) => s.attributes['url.full'])).size).toBe(delivered.length);
    // The full bucket (5), plus 5 a second over the time the spans took to end, plus a token to rounding.
    expect(delivered.length).toBeGreaterThanOrEqual(5);
    expect(delivered.length).toBeLessThanOrEqual(5 + Math.ceil((5 * ms) / 1000) + 1);
    // Every span made is either delivered or counted, and the counts reach the collector once.
    expect(stats.dropped.rate_limited).toBe(50 - delivered.length);
    expect(stats.exported).toBe(delivered.length);
    expect(reportedRateLimited(spans, service)).toBe(50 - delivered.length);
    // Nothing else was dropped: the report's total is the rate limit's count.
    const reports = spans.filter((s) => s.resource['service.name'] === service && s.name === 'tracelet.dropped');
    expect(reports.reduce((n, s) => n + Number(s.attributes['tracelet.dropped.total']), 0)).toBe(50 - delivered.length);
    expect(site.receiver.rejected).toEqual([]);
    expect(problems.errors).toEqual([]);
    await page.close();
  });

  it('no limit by default: all of 30 fetches and the page load arrive, nothing dropped', async () => {
    site.receiver.reset();
    const service = 'rate-default';
    const page = await browser.newPage();
    const problems = collectPageProblems(page);
    await gotoWithAgent(page, `${site.page.url}/rate.html?service=${service}`);
    const { stats } = await fetchAll(page, 30);
    const spans = await site.receiver.waitForSpans((s) => fetchSpans(s, service).length >= 30 && s.some((x) => x.name === 'documentLoad'), 15_000);
    expect(fetchSpans(spans, service)).toHaveLength(30);
    expect(stats.dropped.rate_limited).toBeUndefined();
    await page.goto(`${site.page.url}/blank.html`);
    await page.waitForTimeout(300);
    expect(site.receiver.spans.filter((s) => s.name === 'tracelet.dropped')).toEqual([]);
    expect(site.receiver.rejected).toEqual([]);
    expect(problems.errors).toEqual([]);
    await page.close();
  });
});
