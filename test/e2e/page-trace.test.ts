import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium, collectPageProblems, gotoWithAgent } from '../support/chromium';
import { startSite, type Site } from '../support/site';
import { htmlTemplate } from '../support/template';

const FIXTURES = resolve(import.meta.dirname, 'fixtures');
const SERVER_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SERVER_SPAN = '00f067aa0ba902b7';

let browser: Browser;
let site: Site;
let bundle = 'tracelet.min.js';

beforeAll(async () => {
  site = await startSite(FIXTURES, {
    // The page as an edge would serve it: its server span in Server-Timing.
    '/served.html': async (_req, res) => {
      const html = (await readFile(resolve(FIXTURES, 'agent.html'), 'utf8'))
        .replace('{{ENDPOINT}}', site.receiver.url)
        .replace('{{PROPAGATE}}', site.page.url);
      res
        .writeHead(200, { 'content-type': 'text/html', 'server-timing': `traceparent;desc="00-${SERVER_TRACE}-${SERVER_SPAN}-01"` })
        .end(html);
    },
    '/zone.html': htmlTemplate(resolve(FIXTURES, 'zone.html'), () => ({ ENDPOINT: site.receiver.url, BUNDLE: bundle })),
  });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await site?.close();
});

describe('the page joins the trace of the server span that served it', () => {
  it('documentLoad and the page’s fetch/XHR spans are children of the Server-Timing traceparent', async () => {
    site.receiver.reset();
    const page = await (await browser.newContext()).newPage();
    const problems = collectPageProblems(page);
    // calls.js fetches same-origin and an "api" that is this origin too.
    await page.goto(`${site.page.url}/served.html?api=${encodeURIComponent(site.page.url)}&third=${encodeURIComponent(site.page.url)}`);
    await page.evaluate(() => (window as any).callsDone.catch(() => {}));
    await page.waitForTimeout(400);
    await page.evaluate(() => new Promise((r) => (window as any).Tracelet.onReady((a: any) => a.flush().then(r))));
    const spans = await site.receiver.waitForSpans((s) => s.some((x) => x.name === 'documentLoad') && s.filter((x) => x.kind === 3).length >= 1);
    const load = spans.find((s) => s.name === 'documentLoad')!;
    expect(load.traceId).toBe(SERVER_TRACE);
    expect(load.parentSpanId).toBe(SERVER_SPAN);
    const clients = spans.filter((s) => s.kind === 3);
    expect(clients.length).toBeGreaterThan(0);
    for (const c of clients) {
      expect(c.traceId).toBe(SERVER_TRACE);
      expect(c.parentSpanId).toBe(SERVER_SPAN);
    }
    expect(problems.errors.filter((e) => !e.includes('404'))).toEqual([]);
  });
});

describe('Zone build', () => {
  for (const [build, childAfterAwait] of [
    ['tracelet.zone.min.js', true],
    ['tracelet.min.js', false],
  ] as const) {
    it(`${build}: a fetch after an await in a click handler ${childAfterAwait ? 'is' : 'is not'} the child of the interaction span`, async () => {
      bundle = build;
      site.receiver.reset();
      const page = await (await browser.newContext()).newPage();
      const problems = collectPageProblems(page);
      await gotoWithAgent(page, `${site.page.url}/zone.html`);
      await page.click('#buy');
      await page.waitForFunction(() => (window as any).clicked === true);
      // The fetch span ends when its body has been read (or, unread, up to a moment later):
      // flush until both spans are in.
      const both = () => site.receiver.spans.some((x) => x.name === 'click buy') && site.receiver.spans.some((x) => x.kind === 3);
      await expect
        .poll(async () => (await page.evaluate(() => new Promise((r) => (window as any).Tracelet.onReady((a: any) => a.flush().then(r)))), both()), { timeout: 10_000, interval: 250 })
        .toBe(true);
      const spans = site.receiver.spans;
      const click = spans.find((s) => s.name === 'click buy')!;
      const fetchSpan = spans.find((s) => s.kind === 3 && String(s.attributes['url.full']).includes('after-await'))!;
      expect(fetchSpan.parentSpanId === click.spanId).toBe(childAfterAwait);
      expect(fetchSpan.traceId === click.traceId).toBe(childAfterAwait);
      expect(problems.errors).toEqual([]);
    });
  }
});
