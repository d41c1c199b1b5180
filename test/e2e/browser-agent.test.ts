import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium, collectPageProblems, gotoWithAgent } from '../support/chromium';
import { startApi, startSite, type Site } from '../support/site';
import { htmlTemplate } from '../support/template';
import type { ReceivedSpan } from '../support/otlpReceiver';
import { appRoutes, bundleApp } from '../support/bundle';
import { serveStatic, type Handler } from '../support/http';

const FIXTURES = resolve(import.meta.dirname, 'fixtures');
const CLIENT = 3; // OTLP SpanKind
/** The app's chunk holding the agent (agent/start.ts), as test/support/bundle.ts names chunks. */
const AGENT_CHUNK = 'chunk-start.js';

let browser: Browser;
let site: Site;
let api: Awaited<ReturnType<typeof startApi>>;
let third: Awaited<ReturnType<typeof startApi>>;

beforeAll(async () => {
  api = await startApi({ allowTraceHeaders: true });
  third = await startApi({ allowTraceHeaders: false });
  const dir = await bundleApp(resolve(FIXTURES, 'esm-app.js'));
  const app = serveStatic(dir);
  const file = (f: string): Handler => (req, res, body) => app({ ...req, url: '/' + f } as typeof req, res, body);
  const routes = await appRoutes(dir, '/app/', file);
  // The same app whose agent chunk never arrives (a deploy that lost it): /noagent/.
  const noAgent = await appRoutes(dir, '/noagent/', (f) => (f === AGENT_CHUNK ? ((_req, res) => void res.writeHead(404).end()) as Handler : file(f)));
  site = await startSite(FIXTURES, {
    '/agent.html': htmlTemplate(resolve(FIXTURES, 'agent.html'), () => ({ ENDPOINT: site.receiver.url, PROPAGATE: api.url })),
    '/esm-noagent.html': (_req, res) => void res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><script type="module" src="/noagent/app.js"></script>esm'),
    ...routes,
    ...noAgent,
  });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await Promise.all([site?.close(), api?.close(), third?.close()]);
});

function traceparentOf(seen: { path: string; method: string; headers: Record<string, unknown> }[], path: string) {
  const r = seen.find((s) => s.path === path && s.method === 'GET');
  expect(r, `request to ${path}`).toBeDefined();
  return r!.headers.traceparent as string | undefined;
}

describe('script tag in Chromium', () => {
  it('traces page load, fetch and XHR, propagates only where allowed, and exports valid OTLP', async () => {
    const page = await browser.newPage();
    const problems = collectPageProblems(page);
    await page.goto(`${site.page.url}/agent.html?api=${encodeURIComponent(api.url)}&third=${encodeURIComponent(third.url)}`);
    expect(await page.evaluate(() => (window as any).callsDone)).toEqual([200, 200, 200, 200, 200]);
    await page.evaluate(() => new Promise((r) => (window as any).Tracelet.onReady((a: any) => a.flush().then(r))));

    const spans = await site.receiver.waitForSpans(
      (s) => s.some((x) => x.name === 'documentLoad') && s.filter((x) => x.kind === CLIENT).length >= 5,
    );
    const byUrl = (url: string) => spans.find((s) => s.kind === CLIENT && s.attributes['url.full'] === url) as ReceivedSpan;

    // Page load: documentLoad with documentFetch and resourceFetch children.
    const load = spans.find((s) => s.name === 'documentLoad')!;
    const children = spans.filter((s) => s.parentSpanId === load.spanId);
    expect(children.map((s) => s.name)).toContain('documentFetch');
    expect(children.filter((s) => s.name === 'resourceFetch').map((s) => s.attributes['url.full'])).toEqual(
      expect.arrayContaining([`${site.page.url}/dist/tracelet.min.js`, `${site.page.url}/pixel.svg`]),
    );
    expect(load.resource).toMatchObject({
      'service.name': 'e2e-shop',
      'service.version': '1.2.3',
      'deployment.environment.name': 'test',
      'telemetry.sdk.name': 'tracelet',
    });
    expect(String(load.resource['user_agent.original'])).toContain('Chrome');

    // fetch and XHR to the allowed origin: CLIENT spans, and the backend continues them.
    for (const path of ['/api/fetch', '/api/xhr']) {
      const span = byUrl(api.url + path);
      expect(span, path).toBeDefined();
      expect(span.attributes).toMatchObject({
        'http.request.method': 'GET',
        'http.response.status_code': 200,
        'server.address': '127.0.0.1',
      });
      expect(traceparentOf(api.seen, path)).toBe(`00-${span.traceId}-${span.spanId}-01`);
    }

    // The third origin: spans recorded, but it never sees a trace id nor a preflight.
    for (const path of ['/third/fetch', '/third/xhr']) {
      expect(byUrl(third.url + path), path).toBeDefined();
      expect(traceparentOf(third.seen, path)).toBeUndefined();
    }
    expect(third.seen.every((r) => r.method === 'GET' && !r.headers.traceparent && !r.headers.tracestate)).toBe(true);

    // Exports are never traced themselves.
    expect(spans.some((s) => String(s.attributes['url.full'] ?? '').startsWith(site.receiver.url))).toBe(false);
    expect(site.receiver.rejected).toEqual([]);
    expect(problems.errors).toEqual([]);
    await page.close();
  });
});

describe('requests in a row, in Chromium', () => {
  it('share one PerformanceObserver; each span keeps its own network timing, and a fetch span ends at its responseEnd', async () => {
    site.receiver.reset();
    const page = await browser.newPage();
    const problems = collectPageProblems(page);
    await gotoWithAgent(page, `${site.page.url}/agent.html?api=${encodeURIComponent(api.url)}&third=${encodeURIComponent(third.url)}`);
    await page.evaluate(() => (window as any).callsDone);
    // The instrumentations would make an observer per request; tracelet's one exists already.
    const observersMade = await page.evaluate(async () => {
      const Native = PerformanceObserver;
      let made = 0;
      (window as any).PerformanceObserver = class extends Native {
        constructor(cb: PerformanceObserverCallback) {
          super(cb);
          made++;
        }
      };
      try {
        for (let i = 0; i < 10; i++) await (await fetch(`/same-origin.json?f=${i}`)).text();
        for (let i = 0; i < 10; i++) {
          await new Promise((done) => {
            const x = new XMLHttpRequest();
            x.open('GET', `/same-origin.json?x=${i}`);
            x.onloadend = done;
            x.send();
          });
        }
      } finally {
        (window as any).PerformanceObserver = Native;
      }
      return made;
    });
    expect(observersMade).toBeLessThanOrEqual(1);
    // XHR spans end 300 ms after their load event (the instrumentation's own wait).
    await page.waitForTimeout(600);
    await page.evaluate(() => new Promise((r) => (window as any).Tracelet.onReady((a: any) => a.flush().then(r))));
    const inRow = (s: ReceivedSpan[]) => s.filter((x) => x.kind === CLIENT && /\/same-origin\.json\?[fx]=\d$/.test(String(x.attributes['url.full'])));
    const spans = inRow(await site.receiver.waitForSpans((s) => inRow(s).length >= 20));
    expect(spans).toHaveLength(20);
    for (const s of spans) {
      const at = Object.fromEntries(s.events.map((e) => [e.name, e.timeUnixNano]));
      // On a reused loopback connection only these two marks differ from fetchStart (core/networkEvents).
      expect(Object.keys(at), String(s.attributes['url.full'])).toEqual(expect.arrayContaining(['requestStart', 'responseStart']));
      expect(BigInt(at.responseStart!) >= BigInt(at.requestStart!)).toBe(true);
      // The span ends at its entry's responseEnd, after the response started.
      expect(BigInt(s.endTimeUnixNano) >= BigInt(at.responseStart!)).toBe(true);
    }
    // Each span got its own request's entry.
    expect(new Set(spans.map((s) => s.events.find((e) => e.name === 'responseStart')!.timeUnixNano)).size).toBe(20);
    expect(problems.errors).toEqual([]);
    await page.close();
  });
});

describe('ESM entry bundled into an app, in Chromium', () => {
  it('traces fetch, joins app spans made with @opentelemetry/api, and exports valid OTLP', async () => {
    site.receiver.reset();
    const page = await browser.newPage();
    const problems = collectPageProblems(page);
    await page.goto(`${site.page.url}/esm.html?api=${encodeURIComponent(api.url)}&endpoint=${encodeURIComponent(site.receiver.url)}`);
    expect(await page.evaluate(() => (window as any).callsDone)).toEqual({ status: 200, sameTracer: true });
    // Let the fetch span end (the instrumentation waits for its resource timing), then flush.
    await page.waitForTimeout(500);
    await page.evaluate(() => (window as any).agent.flush());
    const spans = await site.receiver.waitForSpans((s) => s.some((x) => x.name === 'checkout') && s.some((x) => x.kind === CLIENT));
    const checkout = spans.find((s) => s.name === 'checkout')!;
    expect(checkout.scope.name).toBe('esm-app');
    expect(checkout.attributes['cart.items']).toBe(3);
    expect(checkout.resource['service.name']).toBe('esm-app');
    const client = spans.find((s) => s.kind === CLIENT && s.attributes['url.full'] === api.url + '/api/esm')!;
    expect(traceparentOf(api.seen, '/api/esm')).toBe(`00-${client.traceId}-${client.spanId}-01`);
    expect(site.receiver.rejected).toEqual([]);
    expect(problems.errors).toEqual([]);
    await page.close();
  });

  it('the agent chunk never arrives: the exit chunk, asked for at init, delivers the visit at exit', async () => {
    site.receiver.reset();
    api.seen.length = 0;
    const page = await browser.newPage();
    const problems = collectPageProblems(page);
    await page.goto(`${site.page.url}/esm-noagent.html?api=${encodeURIComponent(api.url)}&endpoint=${encodeURIComponent(site.receiver.url)}`);
    for (let i = 0; i < 100 && !api.seen.some((s) => s.path === '/api/esm'); i++) await page.waitForTimeout(50);
    await page.waitForFunction(() => document.readyState === 'complete');
    // Past the idle time at which the agent's chunk was asked for (and refused).
    await page.waitForTimeout(1500);
    expect(site.receiver.spans).toEqual([]);
    await page.goto(`${site.page.url}/blank.html`);
    const spans = await site.receiver.waitForSpans((s) => s.some((x) => x.name === 'documentLoad') && s.some((x) => x.kind === CLIENT), 15_000);
    const client = spans.find((s) => s.kind === CLIENT && s.attributes['url.full'] === api.url + '/api/esm')!;
    expect(client).toBeDefined();
    expect(traceparentOf(api.seen, '/api/esm')).toBe(`00-${client.traceId}-${client.spanId}-01`);
    expect(client.resource['service.name']).toBe('esm-app');
    expect(spans.map((s) => s.name)).toEqual(expect.arrayContaining(['documentLoad', 'documentFetch', 'TTFB']));
    expect(site.receiver.rejected).toEqual([]);
    expect(problems.errors.filter((e) => !/Failed to load resource|chunk-start|dynamically imported module/.test(e))).toEqual([]);
    await page.close();
  });
});

describe('configuration mistakes in Chromium', () => {
  it('logs one error naming the option, leaves the page working, and warns on a second init', async () => {
    const page = await browser.newPage();
    const problems = collectPageProblems(page);
    const warnings: string[] = [];
    page.on('console', (m) => m.type() === 'warning' && warnings.push(m.text()));
    await page.goto(`${site.page.url}/bad-config.html`);
    await page.waitForFunction(() => (window as any).result?.fetchOk === true);
    expect(await page.evaluate(() => (window as any).result)).toEqual({ fetchOk: true, enabled: true, same: true });
    // The loader refuses the tag's options quietly and loads the agent at once, which names the mistake.
    for (let i = 0; i < 100 && !problems.errors.length; i++) await page.waitForTimeout(50);
    expect(problems.errors).toHaveLength(1);
    expect(problems.errors[0]).toMatch(/option "endpoint" must be a URL \(/);
    expect(warnings.filter((w) => w.includes('tracelet'))).toHaveLength(1);
    await page.close();
  });
});
