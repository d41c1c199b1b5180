import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { validateHeaderValue } from 'node:http';
import type { Browser } from 'playwright-core';
import { launchChromium, collectPageProblems } from '../support/chromium';
import { startSite, type Site } from '../support/site';
import { newEchoState, sameOriginRoutes } from './host-echo';
import { STRICT_OUT, oracleTraceparent, seed, traceparents } from '../unit/host-w3c';

/*
 * Issue 8, malformed input in a real browser: 50 pages served with a generated traceparent
 * (valid, near-valid, garbage, unicode, huge) in `Server-Timing: traceparent;desc=…` or in
 * `<meta name="traceparent">`. The bulk (10,240 values) runs in test/unit/host-traceparent-fuzz.
 * Per page: nothing reaches the console; with a valid sampled server span, documentLoad is
 * its child and the page's fetch carries a traceparent of that trace; with a valid unsampled
 * one, nothing is recorded and the fetch carries the trace on, unsampled; with an invalid
 * one, fresh traces start. Every traceparent the page sends is valid W3C.
 */

const FIXTURES = resolve(import.meta.dirname, 'fixtures');
const htmlStrip = (s: string) => s.replace(/^[\t\n\f\r ]+|[\t\n\f\r ]+$/g, '');
const escapeAttr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

interface FuzzPage {
  c: number;
  via: 'server-timing' | 'meta';
  value: string;
  /** What W3C says the page's server span is, if anything. */
  parent?: { traceId: string; spanId: string; sampled: boolean };
}

function headerSafe(v: string): boolean {
  try {
    validateHeaderValue('server-timing', `traceparent;desc="${v.replace(/[\\"]/g, '\\$&')}"`);
    return v.length < 8000;
  } catch {
    return false;
  }
}

/** 25 Server-Timing pages and 25 meta pages, about a third of them valid. */
function fuzzPages(): FuzzPage[] {
  seed(2024);
  const pool = traceparents(2000);
  const pages: FuzzPage[] = [];
  const want = (via: FuzzPage['via'], valid: boolean) => {
    const v = pool.find((x, i) => {
      if (x === '' || (via === 'server-timing' && !headerSafe(x))) return false;
      const ok = !!oracleTraceparent(via === 'meta' ? htmlStrip(x) : x);
      if (ok !== valid) return false;
      pool.splice(i, 1);
      return true;
    })!;
    const o = oracleTraceparent(via === 'meta' ? htmlStrip(v) : v);
    pages.push({ c: pages.length, via, value: v, ...(o && { parent: o }) });
  };
  for (const via of ['server-timing', 'meta'] as const) for (let i = 0; i < 25; i++) want(via, i % 3 === 0);
  return pages;
}

const PAGES = fuzzPages();
const state = newEchoState();
let browser: Browser;
let site: Site;
const problems: string[] = [];

beforeAll(async () => {
  site = await startSite(FIXTURES, {
    ...sameOriginRoutes(state),
    '/fuzz.html': (req, res) => {
      const page = PAGES[Number(new URL(req.url ?? '/', 'http://x').searchParams.get('c'))];
      const meta = page.via === 'meta' ? `<meta name="traceparent" content="${escapeAttr(page.value)}">` : '';
      const headers: Record<string, string> = { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' };
      if (page.via === 'server-timing') headers['server-timing'] = `traceparent;desc="${page.value.replace(/[\\"]/g, '\\$&')}"`;
      res.writeHead(200, headers).end(`<!doctype html><html><head><meta charset="utf-8">${meta}
<script src="/dist/tracelet.min.js" data-endpoint="/v1/traces" data-service-name="fuzz"></script>
<script src="/host-fuzz-page.js"></script></head><body>fuzz ${page.c}</body></html>`);
    },
  });
  browser = await launchChromium();
  state.run = 'fuzz';
  const page = await (await browser.newContext()).newPage();
  const seen = collectPageProblems(page);
  for (const p of PAGES) {
    await page.goto(`${site.page.url}/fuzz.html?c=${p.c}`);
    await page.waitForFunction(() => (window as any).fetched !== undefined);
    if ((await page.evaluate(() => (window as any).fetched)) !== true) problems.push(`page ${p.c}: fetch failed`);
  }
  // Leaving the last page sends its spans (beacon at pagehide).
  await page.goto(`${site.page.url}/blank.html`);
  problems.push(...seen.errors.filter((e) => !e.includes('favicon')));
  await page.context().close();
});

afterAll(async () => {
  await browser?.close();
  await site?.close();
});

describe('fuzzed server traceparents in 50 real pages', () => {
  it('mixes valid and invalid values, in both places', () => {
    expect(PAGES.filter((p) => p.parent).length).toBeGreaterThanOrEqual(15);
    expect(PAGES.filter((p) => !p.parent).length).toBeGreaterThanOrEqual(30);
    expect(new Set(PAGES.map((p) => p.via)).size).toBe(2);
  });

  it('no page saw an exception or a console error, and every page could fetch', () => {
    expect(problems).toEqual([]);
  });

  it('documentLoad continues a valid server span and starts a fresh trace otherwise; the page’s fetch always carries a valid traceparent', async () => {
    const url = (s: { attributes: Record<string, unknown> }) => String(s.attributes['url.full'] ?? s.attributes['http.url'] ?? '');
    const loaded = (all: typeof site.receiver.spans, p: FuzzPage) => all.some((s) => s.name === 'documentLoad' && url(s).endsWith(`/fuzz.html?c=${p.c}`));
    // A valid but unsampled server span: the page follows its decision and records nothing.
    const recorded = PAGES.filter((p) => !p.parent || p.parent.sampled);
    expect(recorded.length).toBeLessThan(PAGES.length);
    await site.receiver.waitForSpans((all) => recorded.every((p) => loaded(all, p)), 15_000).catch(() => {});
    const spans = site.receiver.spans;
    expect(recorded.filter((p) => !loaded(spans, p)).map((p) => `${p.c} ${p.via} ${JSON.stringify(p.value.slice(0, 60))}`)).toEqual([]);
    expect(PAGES.filter((p) => p.parent && !p.parent.sampled && loaded(spans, p)).map((p) => p.c)).toEqual([]);
    expect(site.receiver.rejected).toEqual([]);
    const wrong: string[] = [];
    for (const p of PAGES) {
      const sent = state.seen.find((s) => s.c === String(p.c))?.traceparent ?? '';
      const label = `page ${p.c} (${p.via} ${JSON.stringify(p.value.slice(0, 70))})`;
      if (!STRICT_OUT.test(sent)) wrong.push(`${label}: fetch sent ${JSON.stringify(sent)}`);
      if (p.parent && !p.parent.sampled) {
        // Not recorded, but the decision travels on: same trace, sampled bit off.
        if (sent.split('-')[1] !== p.parent.traceId || parseInt(sent.slice(-2), 16) & 1) wrong.push(`${label}: unsampled parent not continued: ${sent}`);
        continue;
      }
      const load = spans.find((s) => s.name === 'documentLoad' && url(s).endsWith(`/fuzz.html?c=${p.c}`))!;
      if (p.parent) {
        if (load.traceId !== p.parent.traceId || load.parentSpanId !== p.parent.spanId) wrong.push(`${label}: documentLoad not a child of the server span`);
        if (sent.split('-')[1] !== p.parent.traceId) wrong.push(`${label}: fetch left the page's trace: ${sent}`);
      } else {
        // No server span: documentLoad is a root, and so is the fetch (each its own trace).
        if (load.parentSpanId !== undefined) wrong.push(`${label}: documentLoad has parent ${load.parentSpanId}`);
        if (p.value.includes(load.traceId)) wrong.push(`${label}: documentLoad kept the invalid trace id`);
        if (p.value.includes(sent.split('-')[1])) wrong.push(`${label}: fetch kept the invalid trace id`);
      }
    }
    expect(wrong).toEqual([]);
  });
});
