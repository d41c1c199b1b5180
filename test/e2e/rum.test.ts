import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium, collectPageProblems } from '../support/chromium';
import { startSite, type Site } from '../support/site';
import { htmlTemplate } from '../support/template';

const FIXTURES = resolve(import.meta.dirname, 'fixtures');

let browser: Browser;
let site: Site;
let rate = '1';

beforeAll(async () => {
  site = await startSite(FIXTURES, {
    '/rum.html': htmlTemplate(resolve(FIXTURES, 'rum.html'), () => ({ ENDPOINT: site.receiver.url, RATE: rate })),
  });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await site?.close();
});

describe('Web Vitals, errors, route changes, sessions and privacy in Chromium', () => {
  it('reports LCP, CLS and INP with attribution when the page is hidden', async () => {
    site.receiver.reset();
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${site.page.url}/rum.html`);
    await page.waitForTimeout(300);
    await page.evaluate(() => (window as any).shiftLayout());
    await page.waitForTimeout(300);
    await page.click('#slow');
    // Chromium hands the interaction's event-timing entry over only after a while; leave
    // sooner and web-vitals itself has no INP to report (measured: none at 600 ms).
    await page.waitForTimeout(1500);
    // Leaving hides the page: web-vitals reports final values, the exit flush sends them.
    await page.goto(`${site.page.url}/blank.html`);
    const spans = await site.receiver.waitForSpans((s) => ['LCP', 'CLS', 'INP'].every((n) => s.some((x) => x.name === n)), 15_000);
    const get = (n: string) => spans.find((s) => s.name === n)!.attributes;

    const lcp = get('LCP');
    expect(lcp['web_vital.name']).toBe('LCP');
    expect(lcp['web_vital.lcp.element']).toMatch(/#hero/);
    expect(lcp['web_vital.value']).toBeGreaterThan(0);
    expect(lcp['web_vital.value']).toBeLessThan(5000);
    expect(['good', 'needs-improvement', 'poor']).toContain(lcp['web_vital.rating']);
    expect(lcp['web_vital.navigation_type']).toBe('navigate');
    expect(typeof lcp['web_vital.id']).toBe('string');

    const cls = get('CLS');
    expect(cls['web_vital.value']).toBeGreaterThan(0.01);
    expect(cls['web_vital.cls.largest_shift_target']).toMatch(/main|hero/);

    const inp = get('INP');
    expect(inp['web_vital.value']).toBeGreaterThanOrEqual(180);
    expect(inp['web_vital.value']).toBeLessThan(1500);
    expect(inp['web_vital.inp.target']).toMatch(/#slow/);
    expect(inp['web_vital.inp.type']).toBe('pointer');
    expect(inp['web_vital.inp.processing_duration']).toBeGreaterThanOrEqual(180);
    expect(typeof inp['web_vital.inp.input_delay']).toBe('number');
    expect(typeof inp['web_vital.inp.presentation_delay']).toBe('number');

    // Tied to the page view and the visit: the same page_view.id and session.id (resource) as the page load.
    const load = spans.find((s) => s.name === 'documentLoad')!;
    expect(load.resource['page_view.id']).toMatch(/^[0-9a-f]{16}$/);
    for (const n of ['LCP', 'CLS', 'INP']) {
      const v = spans.find((s) => s.name === n)!;
      expect(v.resource['page_view.id']).toBe(load.resource['page_view.id']);
      expect(v.resource['session.id']).toBe(load.resource['session.id']);
    }
    expect(site.receiver.rejected).toEqual([]);
  });

  it('records errors and unhandled rejections as ERROR spans, rate-limiting repeats', async () => {
    site.receiver.reset();
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${site.page.url}/rum.html`);
    await page.evaluate(() => (window as any).throwErrors(10));
    await page.waitForTimeout(200);
    const stats = await page.evaluate(() => (window as any).Tracelet.getAgent().stats());
    await page.evaluate(() => (window as any).Tracelet.getAgent().flush());
    const spans = await site.receiver.waitForSpans((s) => s.filter((x) => x.name === 'exception').length >= 4);
    const errors = spans.filter((s) => s.name === 'exception');
    const loop = errors.filter((s) => s.events[0].attributes['exception.message'] === 'same failure in a loop');
    expect(loop).toHaveLength(3);
    expect(stats.errorsSuppressed).toBe(7);
    for (const e of loop) {
      expect(e.status.code).toBe(2);
      expect(e.events[0].name).toBe('exception');
      expect(e.events[0].attributes['exception.type']).toBe('TypeError');
      expect(String(e.events[0].attributes['exception.stacktrace'])).toContain('rum.js');
    }
    const rejection = errors.find((s) => s.events[0].attributes['exception.type'] === 'RangeError')!;
    expect(rejection.attributes['tracelet.error.source']).toBe('unhandledrejection');
    expect(rejection.events[0].attributes['exception.message']).toBe('nobody caught this');
  });

  it('records route changes by pushState, replaceState, hash and popstate, with secrets redacted', async () => {
    site.receiver.reset();
    const page = await (await browser.newContext()).newPage();
    const problems = collectPageProblems(page);
    await page.goto(`${site.page.url}/rum.html`);
    await page.evaluate(() => (window as any).changeRoutes());
    expect(await page.evaluate(() => (window as any).callApi())).toBe(200);
    await page.waitForTimeout(400);
    await page.evaluate(() => (window as any).Tracelet.getAgent().flush());
    const spans = await site.receiver.waitForSpans((s) => s.filter((x) => x.name === 'route_change').length >= 4 && s.some((x) => x.kind === 3));
    const routes = spans.filter((s) => s.name === 'route_change').map((s) => [s.attributes['tracelet.route.trigger'], s.attributes['tracelet.route.from'], s.attributes['url.full']]);
    const o = site.page.url;
    expect(routes).toEqual([
      ['push', `${o}/rum.html`, `${o}/cart?token=REDACTED&step=1`],
      ['replace', `${o}/cart?token=REDACTED&step=1`, `${o}/cart?step=2`],
      ['push', `${o}/cart?step=2`, `${o}/cart?step=2#summary`],
      ['traverse', `${o}/cart?step=2#summary`, `${o}/cart?step=2`],
    ]);
    const api = spans.find((s) => s.kind === 3)!;
    expect(api.attributes['url.full']).toBe(`${o}/same-origin.json?token=REDACTED&q=1`);
    // No span anywhere carries a secret.
    expect(JSON.stringify(spans)).not.toMatch(/s3cret|token=abc/);
    expect(problems.errors).toEqual([]);
  });

  it('keeps one session.id across page views of a visit, on every span (by its resource)', async () => {
    site.receiver.reset();
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${site.page.url}/rum.html`);
    // documentLoad ends a moment after the load event: let the first page's arrive first.
    const flush = () => page.evaluate(() => (window as any).Tracelet.getAgent().flush());
    await expect.poll(async () => (await flush(), site.receiver.spans.some((x) => x.name === 'documentLoad')), { timeout: 10_000 }).toBe(true);
    await page.goto(`${site.page.url}/rum.html?again`);
    await expect.poll(async () => (await flush(), site.receiver.spans.filter((x) => x.name === 'documentLoad').length), { timeout: 10_000 }).toBe(2);
    const spans = await site.receiver.waitForSpans((s) => s.filter((x) => x.name === 'documentLoad').length >= 2);
    const ids = new Set(spans.map((s) => s.resource['session.id']));
    expect(ids.size).toBe(1);
    expect([...ids][0]).toMatch(/^[0-9a-f]{32}$/);
    expect(new Set(spans.map((s) => s.resource['page_view.id'])).size).toBe(2);
  });

  it('an unsampled visit exports nothing and tells the backend so in traceparent', async () => {
    rate = '0';
    site.receiver.reset();
    const page = await (await browser.newContext()).newPage();
    const seen: string[] = [];
    await page.route('**/same-origin.json*', async (route) => {
      seen.push(route.request().headers()['traceparent'] ?? '');
      await route.continue();
    });
    await page.goto(`${site.page.url}/rum.html`);
    expect(await page.evaluate(() => (window as any).callApi())).toBe(200);
    await page.waitForTimeout(400);
    await page.evaluate(() => (window as any).Tracelet.getAgent().flush());
    await page.goto(`${site.page.url}/blank.html`);
    await page.waitForTimeout(500);
    rate = '1';
    expect(site.receiver.spans).toEqual([]);
    expect(seen[0]).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
  });
});
