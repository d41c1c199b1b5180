import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createServer } from 'node:http';
import { resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, collectPageProblems, gotoWithAgent } from '../support/chromium';
import { startSite, type Site } from '../support/site';
import { listenOnLoopback, type LoopbackServer } from '../support/http';
import { newEchoState, sameOriginRoutes } from './host-echo';

/*
 * Issue 8, faults: a collector that never answers, a slow one, bursts of 429/500/413, one
 * the page's CSP blocks, sendBeacon refusing, storage that throws. Each time: no exception
 * or unhandled rejection reaches the page, the page keeps working, memory stays bounded,
 * and every span is accounted for (exported, queued or dropped by reason).
 */

const FIXTURES = resolve(import.meta.dirname, 'fixtures');
const state = newEchoState();

let browser: Browser;
let site: Site;
let hanging: LoopbackServer & { hits: () => number };

/** Accepts every connection and request, and never answers. */
async function startHangingServer() {
  let hits = 0;
  const server = createServer(() => {
    hits++;
  });
  return Object.assign(await listenOnLoopback(server), { hits: () => hits });
}

beforeAll(async () => {
  hanging = await startHangingServer();
  site = await startSite(FIXTURES, {
    ...sameOriginRoutes(state),
    // The receiver behind a same-origin path that takes its time.
    '/slow/v1/traces': async (req, res, body) => {
      await new Promise((r) => setTimeout(r, 1000));
      const headers = { 'content-type': String(req.headers['content-type']), ...(req.headers['content-encoding'] && { 'content-encoding': req.headers['content-encoding'] }) };
      const upstream = await fetch(site.receiver.url, { method: 'POST', headers, body: new Uint8Array(body) });
      res.writeHead(upstream.status, { 'content-type': 'application/json' }).end(await upstream.text());
    },
    // The agent page under a CSP whose connect-src leaves the collector out.
    '/csp-blocked.html': async (req, res) => {
      const html = (await import('node:fs')).readFileSync(resolve(FIXTURES, 'host-agent.html'));
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': "connect-src 'self'" }).end(html);
    },
  });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await Promise.all([site?.close(), hanging?.close()]);
});
beforeEach(() => site.receiver.reset());

interface Opened {
  page: Page;
  /** Console errors and page errors (uncaught exceptions, unhandled rejections). */
  problems: { errors: string[] };
}

async function open(endpoint: string, query = '', init?: string, path = '/host-agent.html'): Promise<Opened> {
  const context = await browser.newContext();
  if (init) await context.addInitScript(init);
  const page = await context.newPage();
  const problems = collectPageProblems(page);
  await gotoWithAgent(page, `${site.page.url}${path}?endpoint=${encodeURIComponent(endpoint)}${query}`);
  return { page, problems };
}

const stats = (page: Page) => page.evaluate(() => (window as any).agent.stats());
const accounted = (page: Page): Promise<number> => page.evaluate(() => (window as any).accounted());
const seen = (page: Page) => page.evaluate(() => (window as any).hostSeen);
const names = (prefix: string) => site.receiver.spans.filter((s) => s.name.startsWith(prefix)).map((s) => s.name);

/** The page still works: a fetch to its own origin answers, with the agent's traceparent. */
async function pageWorks(page: Page, c: string): Promise<void> {
  const status = await page.evaluate(async (c) => (await fetch('/echo?c=' + c)).status, c);
  expect(status).toBe(200);
  expect(state.seen.find((s) => s.c === c)?.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[0-3]$/);
}

describe('a collector that never answers', () => {
  it('100,000 spans: bounded heap, bounded queue, every span accounted for, the page unaffected', async () => {
    const { page, problems } = await open(hanging.url + '/v1/traces', '&delay=50');
    const cdp = await page.context().newCDPSession(page);
    const heap = async () => {
      await cdp.send('HeapProfiler.collectGarbage');
      return (await cdp.send('Runtime.getHeapUsage')).usedSize;
    };
    await page.waitForTimeout(300);
    const before = await accounted(page);
    const sizes: number[] = [];
    for (let round = 0; round < 20; round++) {
      await page.evaluate((r) => (window as any).makeSpans(5000, `hang-${r}-`), round);
      await page.waitForTimeout(20);
      if (round === 3 || round === 19) sizes.push(await heap());
    }
    const s = await stats(page);
    // Everything made is exported, held or dropped: nothing vanished.
    expect((await accounted(page)) - before).toBe(100_000);
    await pageWorks(page, 'hanging-works');
    expect(s.exported).toBe(0);
    expect(s.queued).toBeLessThanOrEqual(2048);
    expect(s.dropped.queue_full).toBeGreaterThan(95_000);
    // 80,000 spans after round 3 cost next to nothing: nothing grows with them.
    expect(sizes[1] - sizes[0]).toBeLessThan(2 * 1024 * 1024);
    // One request waits at a time: the agent does not pile up connections.
    expect(hanging.hits()).toBeLessThanOrEqual(2);
    expect(await seen(page)).toEqual({ errors: [], rejections: [], violations: [] });
    expect(problems.errors).toEqual([]);
    await page.context().close();
  });
});

describe('a slow collector', () => {
  it('answers after a second: everything arrives once, nothing dropped, the page never waits', async () => {
    const { page, problems } = await open(`${site.page.url}/slow/v1/traces`, '&delay=100');
    await page.waitForTimeout(200);
    const t0 = Date.now();
    for (let i = 0; i < 4; i++) await page.evaluate((i) => (window as any).makeSpans(150, `slow-${i}-`), i);
    await pageWorks(page, 'slow-works');
    // Making spans and fetching did not wait for the collector.
    expect(Date.now() - t0).toBeLessThan(900);
    await site.receiver.waitForSpans((s) => s.filter((x) => x.name.startsWith('slow-')).length >= 600, 15_000);
    expect(new Set(names('slow-')).size).toBe(600);
    expect(names('slow-')).toHaveLength(600);
    const s = await stats(page);
    expect(Object.values(s.dropped)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(site.receiver.rejected).toEqual([]);
    expect(await seen(page)).toEqual({ errors: [], rejections: [], violations: [] });
    expect(problems.errors).toEqual([]);
    await page.context().close();
  });
});

describe('bursts of 429, 500 and 413', () => {
  it('429s are retried (Retry-After honoured), a 500 burst drops exactly its spans and reports them, 413 splits: counts exact', async () => {
    let phase = 'a';
    const log: string[] = [];
    site.receiver.respond(({ body, bytes }) => {
      const prefix = body.match(/"name":"(a|b|c)-/)?.[1] ?? '-';
      log.push(`${phase}:${prefix}`);
      if (phase === 'a' && prefix === 'a' && log.filter((l) => l === 'a:a').length <= 3) {
        return log.filter((l) => l === 'a:a').length === 1 ? { status: 429, headers: { 'retry-after': '1' } } : 429;
      }
      if (phase === 'b' && prefix === 'b') return 500;
      if (phase === 'c' && bytes > 6 * 1024) return 413;
      return 200;
    });
    // Same-origin, so the page can read Retry-After.
    const { page, problems } = await open(site.sameOriginEndpoint, '&delay=50');
    await page.waitForTimeout(200);
    const settle = async () => {
      for (let i = 0; i < 200 && (await stats(page)).queued; i++) await page.waitForTimeout(50);
    };
    await page.evaluate(() => (window as any).makeSpans(40, 'a-'));
    await settle();
    expect(new Set(names('a-')).size).toBe(40);
    phase = 'b';
    for (let i = 0; i < 3; i++) {
      await page.evaluate((i) => (window as any).makeSpans(10, `b-${i}-`), i);
      await settle();
    }
    phase = 'c';
    await page.evaluate(() => (window as any).makeSpans(200, 'c-'));
    await settle();
    const spans = await site.receiver.waitForSpans((s) => s.some((x) => x.name === 'tracelet.dropped'), 10_000);
    const s = await stats(page);
    expect(names('a-')).toHaveLength(40); // retried, not duplicated
    expect(names('b-')).toEqual([]); // refused: gone, and said so
    expect(new Set(names('c-')).size).toBe(200); // split until they fit
    expect(names('c-')).toHaveLength(200);
    expect(s.dropped).toMatchObject({ export_failed: 30, too_large: 0, queue_full: 0 });
    const reported = spans.filter((x) => x.name === 'tracelet.dropped').reduce((n, x) => n + Number(x.attributes['tracelet.dropped.export_failed'] ?? 0), 0);
    expect(reported).toBe(30);
    // 429 three times for the a- batch (the first with Retry-After: 1).
    expect(log.filter((l) => l === 'a:a').length).toBe(4);
    expect(site.receiver.rejected).toEqual([]);
    expect(await seen(page)).toEqual({ errors: [], rejections: [], violations: [] });
    // Chromium logs each refused request itself; nothing else reached the console.
    expect(problems.errors.filter((e) => !/status of (429|500|413)/.test(e))).toEqual([]);
    await page.context().close();
  });
});

describe("a collector the page's CSP blocks (connect-src 'self')", () => {
  it('no exception, no tight retry loop, the page’s own requests work and are traced, spans accounted for', async () => {
    const { page, problems } = await open(site.receiver.url, '&delay=50', undefined, '/csp-blocked.html');
    await page.waitForTimeout(200);
    const before = await accounted(page);
    await page.evaluate(() => (window as any).makeSpans(100, 'csp-'));
    await page.waitForTimeout(3000);
    const s = await stats(page);
    expect((await accounted(page)) - before).toBe(100);
    await pageWorks(page, 'csp-works');
    expect(s.exported).toBe(0);
    const watched = await seen(page);
    expect(watched.errors).toEqual([]);
    expect(watched.rejections).toEqual([]);
    // Each attempt is one violation. Each batch (page load, the 100 spans) is retried with
    // backoff (~1 s, ~2 s, …): a handful in 3 s, no storm.
    expect(watched.violations.length).toBeGreaterThan(0);
    expect(watched.violations.length).toBeLessThanOrEqual(8);
    expect(new Set(watched.violations.map((v: string) => v.split(' ')[0]))).toEqual(new Set(['connect-src']));
    // Chromium reports each refusal on the console; nothing else did.
    expect(problems.errors.filter((e) => !/Content Security Policy|Failed to fetch/.test(e))).toEqual([]);
    expect(site.receiver.requests, JSON.stringify(site.receiver.requests)).toEqual([]);
    await page.context().close();
  });
});

describe('sendBeacon refusing, storage throwing', () => {
  it('sendBeacon returning false at page exit: the spans leave by fetch(keepalive) instead', async () => {
    const { page, problems } = await open(site.sameOriginEndpoint, '', 'navigator.sendBeacon = () => false;');
    await page.evaluate(() => (window as any).makeSpans(30, 'nobeacon-'));
    await page.goto(`${site.page.url}/blank.html`);
    await site.receiver.waitForSpans((s) => s.filter((x) => x.name.startsWith('nobeacon-')).length >= 30);
    expect(names('nobeacon-')).toHaveLength(30);
    expect(site.receiver.rejected).toEqual([]);
    expect(problems.errors).toEqual([]);
    await page.context().close();
  });

  it('sendBeacon throwing: the same', async () => {
    const { page, problems } = await open(site.sameOriginEndpoint, '', "navigator.sendBeacon = () => { throw new TypeError('beacons disabled'); };");
    await page.evaluate(() => (window as any).makeSpans(30, 'throwbeacon-'));
    await page.goto(`${site.page.url}/blank.html`);
    await site.receiver.waitForSpans((s) => s.filter((x) => x.name.startsWith('throwbeacon-')).length >= 30);
    expect(names('throwbeacon-')).toHaveLength(30);
    expect(problems.errors).toEqual([]);
    await page.context().close();
  });

  it('sessionStorage and localStorage that throw on access: the agent runs (session in memory), exports and leaves cleanly', async () => {
    const deny = `for (const k of ['sessionStorage', 'localStorage']) Object.defineProperty(window, k, { configurable: true, get() { throw new DOMException('denied', 'SecurityError'); } });`;
    const { page, problems } = await open(site.sameOriginEndpoint, '&delay=100', deny);
    await page.evaluate(() => (window as any).makeSpans(20, 'nostorage-'));
    await pageWorks(page, 'nostorage-works');
    await site.receiver.waitForSpans((s) => s.filter((x) => x.name.startsWith('nostorage-')).length >= 20);
    const ids = new Set(site.receiver.spans.map((s) => s.resource['session.id']));
    expect(ids.size).toBe(1);
    expect([...ids][0]).toMatch(/^[0-9a-f]{32}$/);
    await page.evaluate(() => (window as any).makeSpans(5, 'nostorage-exit-'));
    await page.goto(`${site.page.url}/blank.html`);
    await site.receiver.waitForSpans((s) => s.filter((x) => x.name.startsWith('nostorage-exit-')).length >= 5);
    expect(problems.errors).toEqual([]);
    await page.context().close();
  });

  it('storage whose methods throw, beacons refused and a collector that never answers, then the page hidden: nothing thrown, every span still counted', async () => {
    const broken = `
      for (const k of ['sessionStorage', 'localStorage']) {
        const s = window[k];
        for (const m of ['getItem', 'setItem', 'removeItem']) Object.defineProperty(s, m, { value() { throw new DOMException('quota', 'QuotaExceededError'); } });
      }
      navigator.sendBeacon = () => false;`;
    // (No web vitals: they would add their final spans when the page is hidden.)
    const { page, problems } = await open(hanging.url + '/v1/traces', '&off=webVitals', broken);
    await page.evaluate(() => (window as any).makeSpans(40, 'broken-'));
    const before = await stats(page);
    // Hidden, not left: the exit path runs (beacon refused, keepalive fetch hangs) and the page lives on.
    await page.evaluate(() => {
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
      // The browser's own visibilitychange bubbles to window, where tracelet listens.
      document.dispatchEvent(new Event('visibilitychange', { bubbles: true }));
    });
    await page.waitForTimeout(200);
    const after = await stats(page);
    const total = (s: any) => s.exported + s.queued + Object.values(s.dropped as Record<string, number>).reduce((a, b) => a + b, 0);
    expect(total(after)).toBe(total(before));
    // The exit path ran: every queued span was handed to the browser (a keepalive fetch, as
    // the beacon was refused), whose fate the page cannot see.
    expect(after.queued).toBe(0);
    expect(after.exported).toBe(before.exported + before.queued);
    await pageWorks(page, 'broken-works');
    expect(await seen(page)).toEqual({ errors: [], rejections: [], violations: [] });
    expect(problems.errors).toEqual([]);
    await page.context().close();
  });
});
