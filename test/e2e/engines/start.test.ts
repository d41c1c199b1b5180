import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { startApi, startSite, type Site } from '../../support/site';
import { htmlTemplate } from '../../support/template';
import { appRoutes, bundleApp } from '../../support/bundle';
import { serveStatic, type Handler } from '../../support/http';
import type { ReceivedSpan } from '../../support/otlpReceiver';
import { flushUntil, forEachEngine, waitForAgent } from '../../support/engines';

/*
 * Issue 16: the script tag and the ESM start, page load, fetch and XHR with the
 * traceparent rules, and export while the page is visible, in every engine.
 */

const FIXTURES = resolve(import.meta.dirname, '../fixtures');
const CLIENT = 3; // OTLP SpanKind
const UA = { chromium: /Chrome\//, firefox: /Firefox\//, webkit: /AppleWebKit\/.*Safari\// };

let site: Site;
let api: Awaited<ReturnType<typeof startApi>>;
let third: Awaited<ReturnType<typeof startApi>>;

beforeAll(async () => {
  api = await startApi({ allowTraceHeaders: true });
  third = await startApi({ allowTraceHeaders: false });
  const dir = await bundleApp(resolve(FIXTURES, 'esm-app.js'));
  const app = serveStatic(dir);
  // The entry and its chunks (the agent is a chunk of its own, loaded by import()).
  const routes = await appRoutes(dir, '/app/', (f) => ((req, res, body) => app({ ...req, url: '/' + f } as typeof req, res, body)) as Handler);
  site = await startSite(FIXTURES, {
    '/agent.html': htmlTemplate(resolve(FIXTURES, 'agent.html'), () => ({ ENDPOINT: site.receiver.url, PROPAGATE: api.url })),
    ...routes,
  });
});
afterAll(async () => {
  await Promise.all([site?.close(), api?.close(), third?.close()]);
});
beforeEach(() => {
  site.receiver.reset();
  api.seen.length = 0;
  third.seen.length = 0;
});

function traceparentOf(seen: { path: string; method: string; headers: Record<string, unknown> }[], path: string) {
  const r = seen.find((s) => s.path === path && s.method === 'GET');
  expect(r, `request to ${path}`).toBeDefined();
  return r!.headers.traceparent as string | undefined;
}

forEachEngine('start', ({ engine, newPage }) => {
  it('script tag: traces page load, fetch and XHR, propagates only where allowed, exports valid OTLP while visible', async () => {
    const page = await newPage();
    await page.goto(`${site.page.url}/agent.html?api=${encodeURIComponent(api.url)}&third=${encodeURIComponent(third.url)}`);
    await waitForAgent(page);
    expect(await page.evaluate(() => (window as any).callsDone)).toEqual([200, 200, 200, 200, 200]);
    // No flush: the page stays visible and the schedule exports (one span first, until the
    // cross-origin collector has answered once, then the rest one delay later).
    const spans = await site.receiver.waitForSpans((s) => s.some((x) => x.name === 'documentLoad') && s.filter((x) => x.kind === CLIENT).length >= 5, 20_000);
    const byUrl = (url: string) => spans.find((s) => s.kind === CLIENT && s.attributes['url.full'] === url) as ReceivedSpan;

    const load = spans.find((s) => s.name === 'documentLoad')!;
    const children = spans.filter((s) => s.parentSpanId === load.spanId);
    expect(children.map((s) => s.name)).toContain('documentFetch');
    expect(children.filter((s) => s.name === 'resourceFetch').map((s) => s.attributes['url.full'])).toEqual(
      expect.arrayContaining([`${site.page.url}/dist/tracelet.min.js`, `${site.page.url}/pixel.svg`]),
    );
    expect(load.resource).toMatchObject({ 'service.name': 'e2e-shop', 'service.version': '1.2.3', 'telemetry.sdk.name': 'tracelet' });
    expect(String(load.resource['user_agent.original'])).toMatch(UA[engine]);

    for (const path of ['/api/fetch', '/api/xhr']) {
      const span = byUrl(api.url + path);
      expect(span, path).toBeDefined();
      expect(span.attributes).toMatchObject({ 'http.request.method': 'GET', 'http.response.status_code': 200, 'server.address': '127.0.0.1' });
      expect(traceparentOf(api.seen, path)).toBe(`00-${span.traceId}-${span.spanId}-01`);
    }
    for (const path of ['/third/fetch', '/third/xhr']) {
      expect(byUrl(third.url + path), path).toBeDefined();
      expect(traceparentOf(third.seen, path)).toBeUndefined();
    }
    // The third origin never sees a trace header nor a preflight.
    expect(third.seen.every((r) => r.method === 'GET' && !r.headers.traceparent && !r.headers.tracestate)).toBe(true);
    // Same origin gets one too (not listed in propagateTo, but same-origin).
    expect(byUrl(`${site.page.url}/same-origin.json`)).toBeDefined();
    expect(spans.some((s) => String(s.attributes['url.full'] ?? '').startsWith(site.receiver.url))).toBe(false);
    expect(site.receiver.rejected).toEqual([]);
    expect(page.problems).toEqual([]);
    await page.close();
  });

  it('ESM entry bundled into an app: traces fetch, joins app spans made with @opentelemetry/api', async () => {
    const page = await newPage();
    await page.goto(`${site.page.url}/esm.html?api=${encodeURIComponent(api.url)}&endpoint=${encodeURIComponent(site.receiver.url)}`);
    await page.waitFor(() => (window as any).callsDone, undefined, { what: 'the app' });
    expect(await page.evaluate(() => (window as any).callsDone)).toEqual({ status: 200, sameTracer: true });
    const spans = await flushUntil(page, site.receiver, (s) => s.some((x) => x.name === 'checkout') && s.some((x) => x.kind === CLIENT && x.attributes['url.full'] === api.url + '/api/esm'));
    const checkout = spans.find((s) => s.name === 'checkout')!;
    expect(checkout.scope.name).toBe('esm-app');
    expect(checkout.attributes['cart.items']).toBe(3);
    const client = spans.find((s) => s.kind === CLIENT && s.attributes['url.full'] === api.url + '/api/esm')!;
    expect(traceparentOf(api.seen, '/api/esm')).toBe(`00-${client.traceId}-${client.spanId}-01`);
    expect(site.receiver.rejected).toEqual([]);
    expect(page.problems).toEqual([]);
    await page.close();
  });
});
