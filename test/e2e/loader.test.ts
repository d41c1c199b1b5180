import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, collectPageProblems } from '../support/chromium';
import type { Site } from '../support/site';
import { expectEarlyRequests, startEarlySite, traceparentAt, type EarlySite } from '../support/early';
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
let early: EarlySite;
let site: Site;
let api: EarlySite['api'];
let third: EarlySite['third'];

beforeAll(async () => {
  early = await startEarlySite(FIXTURES);
  ({ site, api, third } = early);
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await early?.close();
});
beforeEach(() => early.reset());

const gets = (path: string) => api.seen.filter((s) => s.path === path && s.method === 'GET');
const headerOf = (path: string) => traceparentAt(api, path);
const count = (spans: ReceivedSpan[], name: string) => spans.filter((s) => s.name === name).length;

async function openEarly(url: string): Promise<{ page: Page; problems: { errors: string[] } }> {
  const page = await (await browser.newContext()).newPage();
  const problems = collectPageProblems(page);
  await page.goto(url);
  expect(await page.evaluate(() => (window as any).early)).toEqual([200, 200, 200]);
  return { page, problems };
}

describe('the loader, before the agent comes (Chromium)', () => {
  it('fetch, XHR and an error before the agent: the agent adopts them with the ids the server received', async () => {
    const { page, problems } = await openEarly(early.url(site.sameOriginEndpoint, '/agent.js?delay=1500'));
    // The requests left with a traceparent while no agent ran.
    expect(await page.evaluate(() => (window as any).Tracelet.getAgent() === undefined)).toBe(true);
    expect(headerOf('/api/early-fetch')).toBeDefined();
    await page.evaluate(() => new Promise((r) => (window as any).Tracelet.onReady((a: any) => a.flush().then(r))));
    const spans = await site.receiver.waitForSpans((s) => s.filter((x) => x.kind === CLIENT).length >= 3 && s.some((x) => x.name === 'exception'), 15_000);
    expectEarlyRequests(spans, api, third);
    const error = spans.find((s) => s.name === 'exception')!;
    expect(error.events[0].attributes).toMatchObject({ 'exception.type': 'Error', 'exception.message': 'early boom' });
    expect(String(error.events[0].attributes['exception.stacktrace'])).toContain('early.js');
    expect(site.receiver.rejected).toEqual([]);
    expect(problems.errors.filter((e) => !e.includes('early boom'))).toEqual([]);
    await page.context().close();
  });

  // A page left or closed before the agent came: test/e2e/engines/loader.test.ts, in every engine.

  it('hidden before the agent came, then the agent comes: what the loader sent is not sent again', async () => {
    const { page } = await openEarly(early.url(site.sameOriginEndpoint, '/agent.js?delay=1500'));
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
      const { page, problems } = await openEarly(early.url(site.sameOriginEndpoint, agent, extra));
      await page.waitForTimeout(1000);
      expect(await page.evaluate(() => (window as any).Tracelet.getAgent() === undefined)).toBe(true);
      // The page's own calls still work after the failed load.
      expect(await page.evaluate(() => fetch('/same-origin.json').then((r) => r.status))).toBe(200);
      await page.goto(`${site.page.url}/blank.html`);
      const spans = await site.receiver.waitForSpans((s) => s.some((x) => x.name === 'documentLoad') && s.filter((x) => x.kind === CLIENT).length >= 4, 15_000);
      expectEarlyRequests(spans, api, third);
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
    await page.goto(early.url(site.sameOriginEndpoint, '/agent.js', '&tags=2'));
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
