import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectPageProblems, launchChromium } from '../support/chromium';
import { startOtlpReceiver, type OtlpReceiver } from '../support/otlpReceiver';

/*
 * `npm run demo` as the README tells a newcomer to run it (plus --ports=auto), clicked
 * through in Chromium, checked in its own trace view, then stopped with SIGTERM.
 */

const ROOT = resolve(import.meta.dirname, '../..');
const SHOT = resolve(ROOT, 'test-results/demo-waterfall.png');
// The Web Vitals issue adds a module under src/browser/; until then there is nothing to list.
const vitalsAvailable = readdirSync(resolve(ROOT, 'src/browser'), { recursive: true }).some((f) => /vital/i.test(String(f)));

interface DemoUrls {
  shop: string;
  view: string;
  edge: string;
  origin: string;
  receiver: string;
}

interface ViewSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  service: string;
  startMs: number;
  endMs: number;
  attributes: Record<string, unknown>;
  events: { name: string; attributes: Record<string, unknown> }[];
  status: { code: number; message: string };
  scope: { name: string };
  resource: Record<string, unknown>;
}

interface ViewTrace {
  traceId: string;
  rootName: string;
  pageViewId?: string;
  groupedTraces: number;
  services: string[];
  spanCount: number;
  errorCount: number;
  spans: ViewSpan[];
  vitals: { name: string; value: number; rating: string }[];
}

const SERVER = 2;
const CLIENT = 3;
const ERROR = 2;
const VITALS = ['TTFB', 'FCP', 'LCP', 'CLS', 'INP'];
const SDK_HTTP_SCOPE = '@opentelemetry/instrumentation-http';

// ---------------------------------------------------------------- processes

/** pid -> parent pid of every process, from /proc. */
function parents(): Map<number, number> {
  const out = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
      out.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // Exited while we looked.
    }
  }
  return out;
}

function descendants(pid: number): number[] {
  const all = parents();
  const found = [pid];
  for (let i = 0; i < found.length; i++) for (const [child, parent] of all) if (parent === found[i]) found.push(child);
  return found;
}

const cmdline = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
};

/** Running, that is: a zombie has finished and only waits for a reaper this container may not have. */
function running(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------- the demo

let demo: ChildProcess;
let output = '';
let urls: DemoUrls;
let browser: Browser;
/** The Server-Timing traceparent of the shop page, as the browser read it. */
let pageTraceparent: string | undefined;

/** Runs `npm run demo -- --ports=auto` in its own process group; resolves with its DEMO_READY URLs. */
function startDemo(): Promise<DemoUrls> {
  demo = spawn('npm', ['run', 'demo', '--', '--ports=auto'], { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((done, fail) => {
    demo.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const ready = /^DEMO_READY (\{.*\})$/m.exec(output);
      if (ready) done(JSON.parse(ready[1]) as DemoUrls);
    });
    demo.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    demo.once('exit', (code, signal) => fail(new Error(`npm run demo exited (${signal ?? code}) before DEMO_READY:\n${output}`)));
  });
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  expect(res.status, url).toBe(200);
  return (await res.json()) as T;
}

/** Polls the receiver's API until `pick` finds a trace, as spans from three processes arrive at their own pace. */
async function waitForTrace(pick: (t: ViewTrace) => boolean, what: string, timeoutMs = 20_000): Promise<ViewTrace> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const list = await getJson<ViewTrace[]>(`${urls.view}api/traces`);
    for (const summary of list) {
      const trace = await getJson<ViewTrace>(`${urls.view}api/traces/${summary.traceId}`);
      if (pick(trace)) return trace;
    }
    if (Date.now() > deadline) throw new Error(`no ${what} trace after ${timeoutMs} ms; have: ${list.map((t) => `${t.rootName} [${t.services}]`).join('; ')}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The running agent, once there: the script tag may load the full agent only when the page is idle. */
const waitForAgent = (page: Page) => page.waitForFunction(() => (window as any).Tracelet?.getAgent?.() !== undefined, undefined, { timeout: 15_000 });

/** Asserts edge SERVER -> edge CLIENT -> origin SERVER (the SDK's) under `edgeServer`; returns the origin span. */
function expectEdgeToOrigin(trace: ViewTrace, edgeServer: ViewSpan, originRoute: string): ViewSpan {
  const edgeClient = trace.spans.find((s) => s.service === 'shop-edge' && s.kind === CLIENT && s.parentSpanId === edgeServer.spanId);
  expect(edgeClient, 'edge CLIENT span under the edge SERVER span').toBeDefined();
  const origin = trace.spans.find((s) => s.service === 'shop-origin' && s.kind === SERVER && s.parentSpanId === edgeClient!.spanId);
  expect(origin, "origin SERVER span under the edge CLIENT span").toBeDefined();
  expect(origin!.attributes['http.route']).toBe(originRoute);
  expect(origin!.scope.name, 'the origin span comes from the official OpenTelemetry SDK').toBe(SDK_HTTP_SCOPE);
  return origin!;
}

/** Asserts the browser -> edge -> origin chain under `browserSpan`; returns the origin SERVER span. */
function expectStitched(trace: ViewTrace, browserSpan: ViewSpan, originRoute: string): ViewSpan {
  const edgeServer = trace.spans.find((s) => s.service === 'shop-edge' && s.kind === SERVER && s.parentSpanId === browserSpan.spanId);
  expect(edgeServer, `edge SERVER span under ${browserSpan.name}`).toBeDefined();
  return expectEdgeToOrigin(trace, edgeServer!, originRoute);
}

/** The browser CLIENT span under the first span named `action` in `trace`. */
function requestOf(trace: ViewTrace, action: string): ViewSpan {
  const parent = trace.spans.find((s) => s.name === action && s.service === 'shop-web')!;
  const request = trace.spans.find((s) => s.service === 'shop-web' && s.kind === CLIENT && s.parentSpanId === parent.spanId);
  expect(request, `a browser request under ${action}`).toBeDefined();
  return request!;
}

beforeAll(async () => {
  urls = await startDemo();
  browser = await launchChromium();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  // Only if a test failed before the SIGTERM test: never leave the demo running.
  if (demo?.pid && demo.exitCode === null && demo.signalCode === null) {
    for (const pid of descendants(demo.pid)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }
});

describe('npm run demo', () => {
  let page: Page;
  let problems: { errors: string[] };

  it('serves everything on 127.0.0.1', () => {
    for (const url of Object.values(urls)) expect(new URL(url).hostname).toBe('127.0.0.1');
    expect(output).toContain(urls.shop);
    expect(output).toContain(urls.view);
  });

  it('traces a click-through of the shop from the browser through the edge to the origin', async () => {
    page = await browser.newPage({ viewport: { width: 1500, height: 1000 } });
    problems = collectPageProblems(page);
    await page.goto(urls.shop);
    await page.locator('button[data-product]').first().waitFor();
    await waitForAgent(page);
    pageTraceparent = await page.evaluate(
      () => (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).serverTiming.find((t) => t.name === 'traceparent')?.description,
    );
    expect(pageTraceparent, 'the page, served by the edge, names its SERVER span in Server-Timing').toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[13]$/);

    await page.click('button[data-product="mug"]'); // XHR
    await expect.poll(() => page.textContent('#cart-count')).toBe('1');
    await page.click('button[data-product="socks"]');
    await expect.poll(() => page.textContent('#cart-count')).toBe('2');
    await page.click('#recommend'); // slow: ~800 ms at the origin
    await page.locator('#recommendations li').first().waitFor();
    await page.click('a[data-route="/cart"]'); // history.pushState
    expect(new URL(page.url()).pathname).toBe('/cart');
    await page.click('#coupon'); // fails: 500
    await expect.poll(() => page.textContent('#message')).toMatch(/^Coupon failed: 500/);
    await page.click('#checkout');
    await page.locator('#order:not([hidden])').waitFor();
    expect(new URL(page.url()).hash).toMatch(/^#order-ord-/); // the hash route
    expect(await page.textContent('#cart-count')).toBe('0');

    // Leave the page the way a user would: by its link to the trace view. The agent sends
    // what is queued at pagehide; the flush just makes sure the fetch spans ended first.
    await page.waitForTimeout(500);
    await page.evaluate(() => new Promise((r) => (window as any).Tracelet.onReady((a: any) => a.flush().then(r))));
    await Promise.all([page.waitForURL(urls.view), page.click('#view-link')]);

    const row = page.locator('#trace-list tr[data-root-name="checkout"][data-services*="shop-web"][data-services*="shop-edge"][data-services*="shop-origin"]');
    await row.first().waitFor({ timeout: 20_000 });
    await row.first().click();
    // The view redraws as late spans arrive; wait for the origin's children.
    await page.locator('#waterfall .span-row[data-name="charge card"]').waitFor({ timeout: 20_000 });
    const rows = await page.$$eval('#waterfall .span-row[data-span-id]', (els) =>
      els.map((e) => ({ ...(e as HTMLElement).dataset }) as Record<string, string>),
    );
    const find = (service: string, kind: string, parent?: string) =>
      rows.find((r) => r.service === service && r.kind === kind && (parent === undefined || r.parentSpanId === parent));

    // The waterfall, as drawn: one trace, three services, parent links intact.
    expect(new Set(rows.map((r) => r.service))).toEqual(new Set(['shop-web', 'shop-edge', 'shop-origin']));
    const root = rows[0];
    expect(root).toMatchObject({ name: 'checkout', service: 'shop-web', parentSpanId: '' });
    const fetchSpan = find('shop-web', 'client', root.spanId);
    expect(fetchSpan, 'browser fetch span under the checkout span').toBeDefined();
    const edgeServer = find('shop-edge', 'server', fetchSpan!.spanId);
    expect(edgeServer, "edge SERVER span's parent is the browser fetch span").toBeDefined();
    const edgeClient = find('shop-edge', 'client', edgeServer!.spanId);
    expect(edgeClient, "edge CLIENT span's parent is the edge SERVER span").toBeDefined();
    const originServer = find('shop-origin', 'server', edgeClient!.spanId);
    expect(originServer, "origin SERVER span's parent is the edge CLIENT span").toBeDefined();
    expect(rows.filter((r) => r.parentSpanId === originServer!.spanId).map((r) => r.name)).toEqual(['reserve stock', 'charge card']);

    // Clicking a span shows its attributes and events.
    await page.click(`#waterfall .span-row[data-span-id="${originServer!.spanId}"]`);
    await expect.poll(() => page.getAttribute('#details', 'data-span-id')).toBe(originServer!.spanId);
    const details = await page.textContent('#details');
    expect(details).toContain('http.route');
    expect(details).toContain('/checkout');
    expect(details).toContain('order placed');

    mkdirSync(resolve(SHOT, '..'), { recursive: true });
    await page.locator('#trace').screenshot({ path: SHOT });
    expect(existsSync(SHOT)).toBe(true);

    // The same trace from the JSON API the view reads.
    const traceId = await page.getAttribute('#trace', 'data-trace-id');
    const checkout = await getJson<ViewTrace>(`${urls.view}api/traces/${traceId}`);
    const browserFetch = checkout.spans.find((s) => s.spanId === fetchSpan!.spanId)!;
    expect(browserFetch.attributes).toMatchObject({ 'url.full': `${urls.edge}/api/checkout`, 'http.request.method': 'POST', 'http.response.status_code': 200 });
    expect(expectStitched(checkout, browserFetch, '/checkout').events.map((e) => e.name)).toContain('order placed');
  });

  it('stitches XHR, the slow call and the failing call the same way', async () => {
    // Clicked before the first route change: these join the page's trace (see the page-load test).
    const has = (t: ViewTrace, action: string) => t.spans.some((s) => s.name === action) && t.spans.some((s) => s.service === 'shop-origin' && s.attributes['http.route'] === (action === 'recommend' ? '/recommendations' : '/cart'));
    const cart = await waitForTrace((t) => has(t, 'add to cart'), 'add to cart');
    const xhr = requestOf(cart, 'add to cart');
    expect(xhr.scope.name).toBe('tracelet/xml-http-request');
    expectStitched(cart, xhr, '/cart');

    const slow = await waitForTrace((t) => has(t, 'recommend'), 'recommend');
    const slowOrigin = expectStitched(slow, requestOf(slow, 'recommend'), '/recommendations');
    expect(slowOrigin.endMs - slowOrigin.startMs).toBeGreaterThanOrEqual(790);

    const failed = await waitForTrace((t) => t.rootName === 'apply coupon' && t.services.includes('shop-origin'), 'apply coupon');
    const failedFetch = requestOf(failed, 'apply coupon');
    expect(failedFetch.attributes['http.response.status_code']).toBe(500);
    const failedOrigin = expectStitched(failed, failedFetch, '/coupon');
    expect(failedOrigin.status.code).toBe(ERROR);
    expect(failedOrigin.events.map((e) => e.name)).toContain('exception');
    expect(failed.errorCount).toBeGreaterThanOrEqual(3); // origin, edge SERVER and CLIENT (and the browser's)

    // No export was refused, and the page logged nothing but the 500 it was built to get.
    expect(output).not.toContain('rejected an export');
    expect(problems.errors.filter((e) => !/status of 500 .*\/api\/coupon/.test(e))).toEqual([]);
  });

  it('stitches the page load to the edge span that served the page, and the origin that rendered it', async () => {
    const traceId = pageTraceparent!.split('-')[1];
    const load = await waitForTrace((t) => t.traceId === traceId && t.spans.some((s) => s.name === 'documentLoad') && t.services.includes('shop-origin'), 'page load');
    const edgeServer = load.spans.find((s) => s.service === 'shop-edge' && s.kind === SERVER && s.attributes['url.path'] === '/')!;
    expect(edgeServer, 'the edge SERVER span of GET /').toBeDefined();
    expect(edgeServer.parentSpanId, 'a navigation carries no traceparent: the edge starts the trace').toBeUndefined();
    expect(load.rootName).toBe(edgeServer.name);
    expect(edgeServer.spanId).toBe(pageTraceparent!.split('-')[2]);
    const documentLoad = load.spans.find((s) => s.name === 'documentLoad')!;
    expect(documentLoad.service).toBe('shop-web');
    expect(documentLoad.parentSpanId, "documentLoad's parent is the edge SERVER span that served the page").toBe(edgeServer.spanId);
    expect(load.spans.filter((s) => s.parentSpanId === documentLoad.spanId).map((s) => s.name)).toContain('documentFetch');
    expectEdgeToOrigin(load, edgeServer, '/');
    // Until the first route change the page's own requests join that trace too: the products
    // fetch, under the page's 'load products' span (or, when the agent came after that call,
    // straight under the edge span).
    const products = load.spans.find((s) => s.service === 'shop-web' && s.kind === CLIENT && s.attributes['url.full'] === `${urls.edge}/api/products`)!;
    expect(products, 'the products fetch in the page trace').toBeDefined();
    const productsParent = load.spans.find((s) => s.spanId === products.parentSpanId)!;
    expect(productsParent.spanId === edgeServer.spanId || (productsParent.name === 'load products' && productsParent.parentSpanId === edgeServer.spanId)).toBe(true);
    expectStitched(load, products, '/products');
  });

  it.skipIf(!vitalsAvailable)("groups the page view's Web Vitals with its page load", async () => {
    const traceId = pageTraceparent!.split('-')[1];
    // TTFB and FCP come before the first route change: the agent puts them in the page's trace.
    // CLS and INP are final only at pagehide, after the route change to /cart: each is then a
    // one-span trace of its own, which the view folds into the page-load row by page_view.id.
    const load = await waitForTrace((t) => t.traceId === traceId && ['TTFB', 'FCP', 'CLS'].every((v) => t.spans.some((s) => s.name === v)), 'page load with its Web Vitals');
    const pageView = load.spans.find((s) => s.name === 'documentLoad')!.resource['page_view.id'];
    expect(pageView).toEqual(expect.any(String));
    expect(load.pageViewId).toBe(pageView);
    const vitalSpans = load.spans.filter((s) => VITALS.includes(s.name));
    for (const v of vitalSpans) expect(v.resource['page_view.id']).toBe(pageView);
    for (const name of ['TTFB', 'FCP']) expect(vitalSpans.find((v) => v.name === name)!.traceId, `${name} in the page trace`).toBe(traceId);
    const folded = vitalSpans.filter((v) => v.traceId !== traceId);
    expect(folded.map((v) => v.name), 'vitals reported after the route change, folded in').toContain('CLS');
    expect(load.groupedTraces).toBe(new Set(folded.map((v) => v.traceId)).size);
    expect(load.vitals.map((v) => v.name)).toEqual(expect.arrayContaining(['TTFB', 'FCP', 'LCP', 'CLS']));

    const list = await getJson<ViewTrace[]>(`${urls.view}api/traces`);
    const rows = list.filter((t) => t.pageViewId === pageView);
    expect(rows.find((t) => t.traceId === traceId)?.groupedTraces).toBe(load.groupedTraces);
    expect(rows.filter((t) => VITALS.includes(t.rootName)).map((t) => t.rootName), 'no one-span vital rows for this page view').toEqual([]);
    for (const v of folded) expect(list.map((t) => t.traceId)).not.toContain(v.traceId);

    // As drawn: the row says so, and the trace shows the vitals panel and the folded spans.
    await page.goto(`${urls.view}#trace=${traceId}`);
    await page.locator(`#trace-list tr[data-trace-id="${traceId}"] .grouped`).waitFor();
    await page.locator('#vitals:not([hidden]) .vital').first().waitFor();
    const shown = await page.$$eval('#vitals .vital', (els) => els.map((e) => ({ ...(e as HTMLElement).dataset })));
    expect(shown.map((v) => v.vital)).toEqual(expect.arrayContaining(['TTFB', 'FCP', 'LCP', 'CLS']));
    for (const v of shown) expect(['good', 'needs-improvement', 'poor']).toContain(v.rating);
    await page.locator('#waterfall .span-row[data-name="CLS"]').waitFor();
    await page.locator('#trace').screenshot({ path: resolve(ROOT, 'test-results/demo-page-load.png') });
  });

  it('records nothing at the edge or the origin for a trace the browser does not sample', async () => {
    const context = await browser.newContext(); // a new session: sampled (or not) afresh
    const unsampled = await context.newPage();
    await unsampled.goto(`${urls.shop}?sample_rate=0`);
    await unsampled.locator('button[data-product]').first().waitFor();
    await waitForAgent(unsampled);
    // Before the first route change the page's calls belong to the trace of the edge span that
    // served the page, and follow its decision. After it, the browser starts its own traces,
    // sampled at data-sample-rate: 0 here.
    await unsampled.click('a[data-route="/cart"]');
    await unsampled.click('a[data-route="/"]');
    const sent: string[] = [];
    unsampled.on('request', (r) => {
      if (new URL(r.url()).pathname.startsWith('/api/')) sent.push(r.headers().traceparent ?? '');
    });
    await unsampled.click('button[data-product="cap"]'); // XHR
    await unsampled.locator('#message', { hasText: 'Added Collector cap' }).waitFor();
    await unsampled.click('#recommend'); // fetch, 800 ms at the origin
    await unsampled.locator('#recommendations li').first().waitFor();
    await unsampled.evaluate(() => (window as any).Tracelet.getAgent().flush());
    await context.close();
    expect(sent).toHaveLength(2);
    for (const tp of sent) expect(tp, 'sent with the sampled flag off').toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[02]$/);

    // A sampled request after them: once its origin span is in, the origin and the edge have
    // exported everything they recorded before it (their batches leave in order).
    const marker = `00-${'5a'.repeat(16)}-${'5b'.repeat(8)}-01`;
    const res = await fetch(`${urls.edge}/api/products`, { headers: { traceparent: marker } });
    expect(res.status).toBe(200);
    await waitForTrace((t) => t.traceId === '5a'.repeat(16) && t.services.includes('shop-origin') && t.services.includes('shop-edge'), 'sampled marker');
    for (const traceId of new Set(sent.map((h) => h.split('-')[1]))) {
      const r = await fetch(`${urls.view}api/traces/${traceId}`);
      expect(r.status, `trace ${traceId} was not sampled by the browser: no service may record it`).toBe(404);
    }
  });

  it('receives OTLP like a Collector: CORS for the shop, 400 for an invalid body', async () => {
    const shopOrigin = new URL(urls.shop).origin;
    const preflight = await fetch(urls.receiver, {
      method: 'OPTIONS',
      headers: { origin: shopOrigin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(shopOrigin);
    expect(preflight.headers.get('access-control-allow-credentials')).toBe('true');
    const stranger = await fetch(urls.receiver, { method: 'OPTIONS', headers: { origin: 'http://127.0.0.1:1', 'access-control-request-method': 'POST' } });
    expect(stranger.headers.get('access-control-allow-origin')).toBeNull();

    const post = (body: unknown) => fetch(urls.receiver, { method: 'POST', headers: { 'content-type': 'application/json', origin: shopOrigin }, body: JSON.stringify(body) });
    const span = { traceId: 'ab'.repeat(16), spanId: 'cd'.repeat(8), name: 'x', kind: 1, startTimeUnixNano: '1700000000000000000', endTimeUnixNano: '1700000000000000001' };
    const envelope = (s: object) => ({ resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ scope: { name: 't' }, spans: [s] }] }] });
    const bad = await post(envelope({ ...span, traceId: 'not-hex' }));
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toContain('traceId');
    expect((await post(envelope({ ...span, endTimeUnixNano: '1' }))).status).toBe(400);
    const good = await post(envelope(span));
    expect(good.status).toBe(200);
    expect(good.headers.get('access-control-allow-origin')).toBe(shopOrigin);
  });

  it('keeps only the most recent 200 traces', async () => {
    const ids = Array.from({ length: 201 }, (_, i) => (i + 1).toString(16).padStart(32, 'f'));
    const spans = ids.map((traceId) => ({ traceId, spanId: 'cd'.repeat(8), name: 'bulk', kind: 1, startTimeUnixNano: '1700000000000000000', endTimeUnixNano: '1700000000000000001' }));
    const res = await fetch(urls.receiver, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ scope: { name: 't' }, spans }] }] }),
    });
    expect(res.status).toBe(200);
    const kept = (await getJson<ViewTrace[]>(`${urls.view}api/traces`)).map((t) => t.traceId);
    expect(kept).toHaveLength(200);
    expect(kept).not.toContain(ids[0]);
    expect(kept).toContain(ids[200]);
  });

  it('stops on SIGTERM and leaves no process behind', async () => {
    await page?.close();
    const tree = descendants(demo.pid!);
    const edge = tree.filter((pid) => /deno/.test(cmdline(pid)) && cmdline(pid).includes('edge.mjs'));
    expect(edge, `a Deno edge among ${tree.map(cmdline).join(' | ')}`).toHaveLength(1);
    const origin = tree.filter((pid) => cmdline(pid).includes('--import') && cmdline(pid).includes('origin/server.mjs'));
    expect(origin, `a node origin among ${tree.map(cmdline).join(' | ')}`).toHaveLength(1);
    expect(tree.length).toBeGreaterThanOrEqual(4); // npm, node demo/run.mjs, deno, node origin (and sh)

    const exited = new Promise((done) => demo.once('exit', done));
    process.kill(demo.pid!, 'SIGTERM');
    await exited;
    // Each part of this run's process tree is gone, and nothing anywhere still runs its edge.
    await expect.poll(() => tree.filter(running), { timeout: 10_000 }).toEqual([]);
    const endpoint = urls.receiver;
    const leftovers = [...parents().keys()].filter((pid) => running(pid) && cmdline(pid).includes(endpoint));
    expect(leftovers.map(cmdline)).toEqual([]);
    expect(output).toMatch(/stopping/);
  });
});

describe("the demo's origin, on the official OpenTelemetry SDK", () => {
  let receiver: OtlpReceiver;
  let stop: () => Promise<void> = async () => {};
  afterAll(async () => {
    await stop();
    await receiver?.close();
  });

  it('continues sampled traces, records no unsampled one, and exports OTLP the strict receiver accepts', async () => {
    // The same process the demo starts (node --import instrumentation.mjs server.mjs), exporting
    // with the stock OTLP/HTTP exporter to the strict receiver instead of the demo's.
    // numericInt64: the SDK writes attribute intValues as JSON numbers, which proto3 JSON allows.
    receiver = await startOtlpReceiver({ numericInt64: true });
    const load = (path: string) => import(pathToFileURL(resolve(ROOT, 'demo', path)).href);
    const { startOrigin } = await load('origin/spawn.mjs');
    const { stopChildren } = await load('lib/children.mjs');
    stop = stopChildren;
    const origin: { url: string } = await startOrigin({ root: ROOT, port: 0, endpoint: receiver.url, view: 'http://127.0.0.1:9/' });

    const parent = { traceId: '1a'.repeat(16), spanId: '1b'.repeat(8) };
    const sampled = `00-${parent.traceId}-${parent.spanId}-01`;
    const unsampled = `00-${'2a'.repeat(16)}-${'2b'.repeat(8)}-00`;
    const call = async (traceparent: string | undefined, method: string, path: string, body?: object) => {
      const res = await fetch(origin.url + path, {
        method,
        headers: { 'content-type': 'application/json', ...(traceparent && { traceparent }) },
        body: body && JSON.stringify(body),
      });
      await res.arrayBuffer();
      return res.status;
    };
    expect(await call(unsampled, 'GET', '/products')).toBe(200);
    expect(await call(unsampled, 'POST', '/cart', { productId: 'mug' })).toBe(200);
    expect(await call(sampled, 'POST', '/cart', { productId: 'socks' })).toBe(200);
    expect(await call(sampled, 'POST', '/coupon', { code: 'X' })).toBe(500);
    expect(await call(sampled, 'POST', '/checkout')).toBe(200);
    expect(await call(undefined, 'GET', '/products')).toBe(200); // no parent: the SDK starts a trace
    expect(await call(unsampled, 'POST', '/checkout')).toBe(409); // the sampled checkout emptied the cart

    await stopChildren(); // SIGTERM: the SDK's provider.shutdown() flushes its batch
    stop = async () => {};
    expect(receiver.rejected, 'the strict receiver accepted every export the SDK sent').toEqual([]);
    const spans = receiver.spans;
    expect(spans.filter((s) => s.traceId === '2a'.repeat(16)), 'ParentBased: nothing recorded under an unsampled parent').toEqual([]);
    const byName = (name: string) => spans.find((s) => s.name === name && s.traceId === parent.traceId);
    for (const name of ['POST /cart', 'POST /coupon', 'POST /checkout']) {
      expect(byName(name), name).toMatchObject({ kind: SERVER, parentSpanId: parent.spanId, scope: { name: SDK_HTTP_SCOPE } });
      expect(byName(name)!.resource['service.name']).toBe('shop-origin');
    }
    const coupon = byName('POST /coupon')!;
    expect(coupon.status.code).toBe(ERROR);
    expect(coupon.events.map((e) => e.name)).toContain('exception');
    const checkout = byName('POST /checkout')!;
    expect(spans.filter((s) => s.parentSpanId === checkout.spanId).map((s) => s.name).sort()).toEqual(['charge card', 'reserve stock']);
    const root = spans.filter((s) => s.traceId !== parent.traceId);
    expect(root.map((s) => [s.name, s.parentSpanId])).toEqual([['GET /products', undefined]]);
    expect(receiver.requests.every((r) => r.contentType === 'application/json')).toBe(true);
  }, 60_000);
});
