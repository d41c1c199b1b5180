import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, collectPageProblems } from '../support/chromium';
import { DIST, startApi, startSite, type Site } from '../support/site';
import type { ReceivedSpan } from '../support/otlpReceiver';
import { VERSION } from '../../src/core/version';

/*
 * Issue 12: the loader captures from its first run; the agent comes after the load event
 * when the page is idle (here: when /agent.js lets it) and adopts what was captured; a visit
 * that ends before the agent came is delivered by the loader itself, once.
 */

const FIXTURES = resolve(import.meta.dirname, 'fixtures');
const CLIENT = 3;

let browser: Browser;
let site: Site;
let api: Awaited<ReturnType<typeof startApi>>;
let third: Awaited<ReturnType<typeof startApi>>;
/** Held /agent.js answers, released at the end so no request stays open. */
const held: (() => void)[] = [];

beforeAll(async () => {
  api = await startApi({ allowTraceHeaders: true });
  third = await startApi({ allowTraceHeaders: false });
  site = await startSite(FIXTURES, {
    // ?endpoint, ?agent (the agent's URL), ?tags=2 (two loader tags), ?csp (script-src 'self').
    '/early.html': (req, res) => {
      const q = new URL(req.url ?? '/', 'http://x').searchParams;
      const tag = `<script src="/dist/tracelet.min.js" data-endpoint="${q.get('endpoint')}" data-service-name="early" data-propagate-to="${api.url}" data-agent-src="${q.get('agent')}"></script>`;
      const headers: Record<string, string> = { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' };
      if (q.has('csp')) headers['content-security-policy'] = "script-src 'self'";
      res.writeHead(200, headers).end(`<!doctype html><html><head><meta charset="utf-8">${tag.repeat(Number(q.get('tags') ?? 1))}
<script src="/early.js"></script></head><body><h1>An early page with some text to paint</h1><img src="/pixel.svg" alt=""></body></html>`);
    },
    // The agent's file: at once, after ?delay ms, ?status (404), or of another ?release.
    '/agent.js': async (req, res) => {
      const q = new URL(req.url ?? '/', 'http://x').searchParams;
      if (q.get('status')) return void res.writeHead(Number(q.get('status'))).end('no agent here');
      let body = await readFile(resolve(DIST, 'tracelet.agent.min.js'), 'utf8');
      // ?release=other: the agent of another release, which must not start under this loader.
      if (q.get('release')) body = body.replaceAll(JSON.stringify(VERSION), JSON.stringify(q.get('release')));
      const send = () => {
        if (!res.writableEnded) res.writeHead(200, { 'content-type': 'text/javascript', 'cache-control': 'no-store' }).end(body);
      };
      const delay = Number(q.get('delay') ?? 0);
      if (!delay) {
        send();
        return;
      }
      const t = setTimeout(send, delay);
      held.push(() => (clearTimeout(t), send()));
    },
  });
  browser = await launchChromium();
});
afterAll(async () => {
  held.forEach((release) => release());
  await browser?.close();
  await Promise.all([site?.close(), api?.close(), third?.close()]);
});
beforeEach(() => {
  site.receiver.reset();
  api.seen.length = 0;
  third.seen.length = 0;
});

const pageUrl = (endpoint: string, agent: string, extra = '') =>
  `${site.page.url}/early.html?endpoint=${encodeURIComponent(endpoint)}&agent=${encodeURIComponent(agent)}&api=${encodeURIComponent(api.url)}&third=${encodeURIComponent(third.url)}${extra}`;
const gets = (path: string) => api.seen.filter((s) => s.path === path && s.method === 'GET');
const headerOf = (path: string) => gets(path)[0]?.headers.traceparent as string | undefined;
const count = (spans: ReceivedSpan[], name: string) => spans.filter((s) => s.name === name).length;

async function openEarly(url: string): Promise<{ page: Page; problems: { errors: string[] } }> {
  const page = await (await browser.newContext()).newPage();
  const problems = collectPageProblems(page);
  await page.goto(url);
  expect(await page.evaluate(() => (window as any).early)).toEqual([200, 200, 200]);
  return { page, problems };
}

/** The early requests' CLIENT spans carry the ids the API received; the third origin got no header. */
function expectEarlyRequests(spans: ReceivedSpan[]) {
  for (const path of ['/api/early-fetch', '/api/early-xhr']) {
    const sent = headerOf(path);
    expect(sent, path).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    const span = spans.find((s) => s.kind === CLIENT && s.attributes['url.full'] === api.url + path);
    expect(span, `${path} span`).toBeDefined();
    expect(sent).toBe(`00-${span!.traceId}-${span!.spanId}-01`);
    expect(span!.attributes).toMatchObject({ 'http.request.method': 'GET', 'http.response.status_code': 200 });
    expect(BigInt(span!.endTimeUnixNano) >= BigInt(span!.startTimeUnixNano)).toBe(true);
  }
  expect(third.seen.filter((s) => s.headers.traceparent !== undefined || s.method === 'OPTIONS')).toEqual([]);
}

describe('the loader, before the agent comes (Chromium)', () => {
  it('fetch, XHR and an error before the agent: the agent adopts them with the ids the server received', async () => {
    const { page, problems } = await openEarly(pageUrl(site.sameOriginEndpoint, '/agent.js?delay=1500'));
    // The requests left with a traceparent while no agent ran.
    expect(await page.evaluate(() => (window as any).Tracelet.getAgent() === undefined)).toBe(true);
    expect(headerOf('/api/early-fetch')).toBeDefined();
    await page.evaluate(() => new Promise((r) => (window as any).Tracelet.onReady((a: any) => a.flush().then(r))));
    const spans = await site.receiver.waitForSpans((s) => s.filter((x) => x.kind === CLIENT).length >= 3 && s.some((x) => x.name === 'exception'), 15_000);
    expectEarlyRequests(spans);
    const error = spans.find((s) => s.name === 'exception')!;
    expect(error.events[0].attributes).toMatchObject({ 'exception.type': 'Error', 'exception.message': 'early boom' });
    expect(String(error.events[0].attributes['exception.stacktrace'])).toContain('early.js');
    expect(site.receiver.rejected).toEqual([]);
    expect(problems.errors.filter((e) => !e.includes('early boom'))).toEqual([]);
    await page.context().close();
  });

  for (const where of ['same-origin', 'cross-origin'] as const) {
    it(`a page left 200 ms after its load event, before the agent came (${where} endpoint): the loader delivers it all, once`, async () => {
      const endpoint = where === 'same-origin' ? site.sameOriginEndpoint : site.receiver.url;
      const { page } = await openEarly(pageUrl(endpoint, '/agent.js?delay=30000'));
      await page.waitForFunction(() => document.readyState === 'complete');
      await page.waitForTimeout(200);
      expect(await page.evaluate(() => (window as any).Tracelet.getAgent() === undefined)).toBe(true);
      await page.goto(`${site.page.url}/blank.html`);
      const wanted = ['documentLoad', 'documentFetch', 'exception', 'TTFB', 'FCP', 'LCP'];
      const spans = await site.receiver
        .waitForSpans((s) => wanted.every((n) => s.some((x) => x.name === n)) && s.filter((x) => x.kind === CLIENT).length >= 3, 15_000)
        .catch(() => site.receiver.spans);
      expect(wanted.map((n) => `${n} ${count(spans, n)}`), 'spans arrived exactly once').toEqual(wanted.map((n) => `${n} 1`));
      expectEarlyRequests(spans);
      const load = spans.find((s) => s.name === 'documentLoad')!;
      expect(spans.find((s) => s.name === 'documentFetch')!.parentSpanId).toBe(load.spanId);
      expect(load.resource).toMatchObject({ 'service.name': 'early', 'telemetry.sdk.name': 'tracelet' });
      expect(spans.find((s) => s.name === 'FCP')!.attributes['web_vital.rating']).toMatch(/good|needs-improvement|poor/);
      // Nothing twice, even a moment later.
      await page.waitForTimeout(500);
      expect(site.receiver.spans.filter((s) => s.kind === CLIENT)).toHaveLength(3);
      expect(site.receiver.rejected).toEqual([]);
      await page.context().close();
    });
  }

  it('hidden before the agent came, then the agent comes: what the loader sent is not sent again', async () => {
    const { page } = await openEarly(pageUrl(site.sameOriginEndpoint, '/agent.js?delay=1500'));
    await page.waitForFunction(() => document.readyState === 'complete');
    await page.evaluate(() => {
      Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
      document.dispatchEvent(new Event('visibilitychange', { bubbles: true }));
      Object.defineProperty(document, 'visibilityState', { value: 'visible', configurable: true });
    });
    await site.receiver.waitForSpans((s) => s.some((x) => x.name === 'documentLoad'), 10_000);
    await page.evaluate(() => new Promise((r) => (window as any).Tracelet.onReady((a: any) => a.flush().then(r))));
    await page.waitForTimeout(500);
    const spans = site.receiver.spans;
    for (const n of ['documentLoad', 'documentFetch', 'exception', 'TTFB', 'FCP']) expect(count(spans, n), n).toBe(1);
    expect(spans.filter((s) => s.kind === CLIENT)).toHaveLength(3);
    await page.context().close();
  });

  for (const [what, agent, extra] of [
    ['answers 404', '/agent.js?status=404', ''],
    ['is blocked by CSP', 'http://127.0.0.1:9/agent.js', '&csp'],
    // It would take functions from the loader (rollup.lent.mjs) that may not be there.
    ['is of another release', '/agent.js?release=0.0.9', ''],
  ] as const) {
    it(`the agent file ${what}: the page works, and the loader delivers at exit`, async () => {
      const { page, problems } = await openEarly(pageUrl(site.sameOriginEndpoint, agent, extra));
      await page.waitForTimeout(1000);
      expect(await page.evaluate(() => (window as any).Tracelet.getAgent() === undefined)).toBe(true);
      // The page's own calls still work after the failed load.
      expect(await page.evaluate(() => fetch('/same-origin.json').then((r) => r.status))).toBe(200);
      await page.goto(`${site.page.url}/blank.html`);
      const spans = await site.receiver.waitForSpans((s) => s.some((x) => x.name === 'documentLoad') && s.filter((x) => x.kind === CLIENT).length >= 4, 15_000);
      expectEarlyRequests(spans);
      const other = problems.errors.filter((e) => /needs the loader of its release/.test(e));
      expect(other).toEqual(agent.includes('release') ? [expect.stringContaining('tracelet: agent 0.0.9 needs the loader of its release, not ' + VERSION)] : []);
      expect(problems.errors.filter((e) => !other.includes(e) && !/early boom|Failed to load resource|Content Security Policy|agent\.js/.test(e))).toEqual([]);
      await page.context().close();
    });
  }

  it('two loader tags, or a loader and Tracelet.init(): one agent, one warning, each request traced once', async () => {
    const page = await (await browser.newContext()).newPage();
    const warnings: string[] = [];
    page.on('console', (m) => m.type() === 'warning' && warnings.push(m.text()));
    await page.goto(pageUrl(site.sameOriginEndpoint, '/agent.js', '&tags=2'));
    await page.evaluate(() => (window as any).early);
    await page.evaluate(() => (window as any).Tracelet.init({ serviceName: 'third', endpoint: '/v1/traces' }));
    await page.evaluate(() => new Promise((r) => (window as any).Tracelet.onReady((a: any) => a.flush().then(r))));
    const spans = await site.receiver.waitForSpans((s) => s.filter((x) => x.kind === CLIENT).length >= 3);
    await page.waitForTimeout(300);
    expect(spans.filter((s) => s.kind === CLIENT)).toHaveLength(3);
    expect(gets('/api/early-fetch')).toHaveLength(1);
    expect(String(headerOf('/api/early-fetch')).split(',')).toHaveLength(1);
    expect(warnings.filter((w) => w.includes('tracelet'))).toHaveLength(2);
    expect(new Set(spans.map((s) => s.resource['service.name']))).toEqual(new Set(['early']));
    await page.context().close();
  });
});
