import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { startSite, type Site } from '../../support/site';
import { htmlTemplate } from '../../support/template';
import { flushAgent, flushUntil, forEachEngine, waitForAgent, type EngineName } from '../../support/engines';
import { quiet } from './expect';
import { versionedFeatures } from './features';

/*
 * Issue 16: Web Vitals (what each engine reports), errors, route changes (the Navigation
 * API where the engine has it, the History API fallback elsewhere) and sessions, in every
 * engine, with test/e2e/fixtures/rum.html.
 */

const FIXTURES = resolve(import.meta.dirname, '../fixtures');
let site: Site;

/**
 * The Web Vitals each engine reports, as the tests show (web-vitals 6 on the engines' own
 * entries); INP only where Event Timing has `interactionId` (Firefox 144 on, see ./features.ts).
 */
export const VITALS: Record<EngineName, string[]> = {
  chromium: ['CLS', 'FCP', 'INP', 'LCP', 'TTFB'],
  firefox: ['FCP', 'INP', 'LCP', 'TTFB'],
  webkit: ['FCP', 'TTFB'],
};
const ALL_VITALS = ['CLS', 'FCP', 'INP', 'LCP', 'TTFB'];

/** Route triggers for rum.js's changeRoutes(): push, replace, a hash change, Back. */
const ROUTE_TRIGGERS = {
  navigationApi: ['push', 'replace', 'push', 'traverse'],
  historyFallback: ['pushState', 'replaceState', 'popstate', 'popstate'],
};

beforeAll(async () => {
  site = await startSite(FIXTURES, {
    '/rum.html': htmlTemplate(resolve(FIXTURES, 'rum.html'), () => ({ ENDPOINT: site.receiver.url, RATE: '1' })),
  });
});
afterAll(async () => {
  await site?.close();
});
beforeEach(async () => {
  await quiet(site.receiver);
  site.receiver.reset();
});

forEachEngine('Web Vitals, errors, route changes and sessions', ({ engine, newPage }) => {
  it(`reports ${VITALS[engine].join(', ')} (INP where the version has it, nothing else) when the page is left, with no error`, async () => {
    const page = await newPage();
    await page.goto(`${site.page.url}/rum.html`);
    await waitForAgent(page);
    const { interactionId } = await versionedFeatures(page);
    await new Promise((r) => setTimeout(r, 300));
    await page.evaluate(() => (window as any).shiftLayout());
    await new Promise((r) => setTimeout(r, 300));
    await page.click('#slow');
    await page.waitFor(() => document.getElementById('slow')!.textContent === 'clicked');
    // The engine hands the interaction's event-timing entry over only after a while.
    await new Promise((r) => setTimeout(r, 1500));
    // Leaving hides the page: web-vitals reports final values, the exit flush sends them.
    await page.goto(`${site.page.url}/blank.html`);
    const expected = VITALS[engine].filter((n) => n !== 'INP' || interactionId);
    const spans = await site.receiver.waitForSpans((s) => expected.every((n) => s.some((x) => x.name === n)), 15_000);
    // What the engine does not support is absent, not broken: give it time to show up anyway.
    await new Promise((r) => setTimeout(r, 500));
    const reported = ALL_VITALS.filter((n) => site.receiver.spans.some((x) => x.name === n));
    expect(reported).toEqual(expected);
    const load = spans.find((s) => s.name === 'documentLoad')!;
    for (const n of expected) {
      const v = spans.find((s) => s.name === n)!;
      expect(v.attributes['web_vital.name'], n).toBe(n);
      expect(typeof v.attributes['web_vital.value'], n).toBe('number');
      expect(['good', 'needs-improvement', 'poor'], n).toContain(v.attributes['web_vital.rating']);
      expect(v.resource['page_view.id'], n).toBe(load.resource['page_view.id']);
    }
    if (expected.includes('LCP')) expect(spans.find((s) => s.name === 'LCP')!.attributes['web_vital.lcp.element']).toMatch(/#hero/);
    if (expected.includes('INP')) {
      const inp = spans.find((s) => s.name === 'INP')!.attributes;
      expect(inp['web_vital.value']).toBeGreaterThanOrEqual(150);
      expect(inp['web_vital.inp.target']).toMatch(/#slow/);
    }
    if (expected.includes('CLS')) expect(spans.find((s) => s.name === 'CLS')!.attributes['web_vital.value']).toBeGreaterThan(0.01);
    // Where the engine lacks an entry type, nothing threw: no error span, no page error.
    expect(site.receiver.spans.filter((s) => s.name === 'exception')).toEqual([]);
    expect(site.receiver.rejected).toEqual([]);
    expect(page.problems).toEqual([]);
    await page.close();
  });

  it('records errors and unhandled rejections as ERROR spans, rate-limiting repeats', async () => {
    const page = await newPage();
    await page.goto(`${site.page.url}/rum.html`);
    await waitForAgent(page);
    await page.evaluate(() => (window as any).throwErrors(10));
    const stats = await page.waitFor(() => {
      const s = (window as any).Tracelet.getAgent().stats();
      return s.errorsSuppressed === 7 && s;
    });
    expect(stats.errorsSuppressed).toBe(7);
    const spans = await flushUntil(page, site.receiver, (s) => s.filter((x) => x.name === 'exception').length >= 4);
    const errors = spans.filter((s) => s.name === 'exception');
    const loop = errors.filter((s) => s.events[0].attributes['exception.message'] === 'same failure in a loop');
    expect(loop).toHaveLength(3);
    for (const e of loop) {
      expect(e.status.code).toBe(2);
      expect(e.events[0].attributes['exception.type']).toBe('TypeError');
      expect(String(e.events[0].attributes['exception.stacktrace'])).toContain('rum.js');
    }
    const rejection = errors.find((s) => s.events[0].attributes['exception.type'] === 'RangeError')!;
    expect(rejection.attributes['tracelet.error.source']).toBe('unhandledrejection');
    expect(rejection.events[0].attributes['exception.message']).toBe('nobody caught this');
    await page.close();
  });

  it('records route changes by the Navigation API, else the History API fallback, with secrets redacted', async () => {
    const page = await newPage();
    await page.goto(`${site.page.url}/rum.html`);
    await waitForAgent(page);
    const { navigationApi } = await versionedFeatures(page);
    expect(await page.evaluate(() => typeof (window as any).navigation?.addEventListener === 'function')).toBe(navigationApi);
    await page.evaluate(() => (window as any).changeRoutes());
    expect(await page.evaluate(() => (window as any).callApi())).toBe(200);
    const spans = await flushUntil(page, site.receiver, (s) => s.filter((x) => x.name === 'route_change').length >= 4 && s.some((x) => x.kind === 3));
    const o = site.page.url;
    const routes = spans.filter((s) => s.name === 'route_change').map((s) => [s.attributes['tracelet.route.from'], s.attributes['url.full']]);
    expect(routes).toEqual([
      [`${o}/rum.html`, `${o}/cart?token=REDACTED&step=1`],
      [`${o}/cart?token=REDACTED&step=1`, `${o}/cart?step=2`],
      [`${o}/cart?step=2`, `${o}/cart?step=2#summary`],
      [`${o}/cart?step=2#summary`, `${o}/cart?step=2`],
    ]);
    const triggers = spans.filter((s) => s.name === 'route_change').map((s) => s.attributes['tracelet.route.trigger']);
    expect(triggers).toEqual(navigationApi ? ROUTE_TRIGGERS.navigationApi : ROUTE_TRIGGERS.historyFallback);
    expect(spans.find((s) => s.kind === 3)!.attributes['url.full']).toBe(`${o}/same-origin.json?token=REDACTED&q=1`);
    expect(JSON.stringify(spans)).not.toMatch(/s3cret|token=abc/);
    expect(page.problems).toEqual([]);
    await page.close();
  });

  it('keeps one session.id across page views of a visit', async () => {
    const page = await newPage();
    await page.goto(`${site.page.url}/rum.html`);
    await flushUntil(page, site.receiver, (s) => s.some((x) => x.name === 'documentLoad'));
    await page.goto(`${site.page.url}/rum.html?again`);
    const spans = await flushUntil(page, site.receiver, (s) => s.filter((x) => x.name === 'documentLoad').length >= 2);
    const ids = new Set(spans.map((s) => s.resource['session.id']));
    expect(ids.size).toBe(1);
    expect([...ids][0]).toMatch(/^[0-9a-f]{32}$/);
    expect(new Set(spans.map((s) => s.resource['page_view.id'])).size).toBe(2);
    await flushAgent(page);
    await page.close();
  });
});
