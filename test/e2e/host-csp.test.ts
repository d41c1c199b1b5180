import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium, collectPageProblems } from '../support/chromium';
import { DIST, startSite, type Site } from '../support/site';
import { newEchoState, sameOriginRoutes } from './host-echo';

/*
 * Issue 8: under a strict Content-Security-Policy (script-src 'self', no 'unsafe-eval', no
 * 'unsafe-inline'; styles and connections locked down too; Trusted Types required for
 * script sinks) both script-tag builds load, trace and export, with no violation reported.
 */

const FIXTURES = resolve(import.meta.dirname, 'fixtures');
const BUILDS = ['tracelet.min.js', 'tracelet.zone.min.js'];
const state = newEchoState();
let browser: Browser;
let site: Site;

const policy = () =>
  `default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self' ${site.receiver.origin}; ` +
  `object-src 'none'; base-uri 'none'; require-trusted-types-for 'script'`;

beforeAll(async () => {
  site = await startSite(FIXTURES, {
    ...sameOriginRoutes(state),
    '/csp.html': (req, res) => {
      const bundle = new URL(req.url ?? '/', 'http://x').searchParams.get('bundle');
      res
        .writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-security-policy': policy() })
        .end(`<!doctype html><html><head><meta charset="utf-8"><title>csp</title>
<script src="/host-watch.js"></script>
<script src="/dist/${bundle}" data-endpoint="${site.receiver.url}" data-service-name="csp-${bundle}"></script>
<script src="/host-csp.js"></script></head><body><img src="/pixel.svg" alt=""></body></html>`);
    },
  });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await site?.close();
});

describe('strict CSP', () => {
  it('the builds contain no eval, no new Function, no string timers, no inline style writes', () => {
    for (const b of BUILDS) {
      const code = readFileSync(resolve(DIST, b), 'utf8');
      expect(code.match(/(?<![\w$.])eval\s*\(/g), `${b}: eval(`).toBeNull();
      expect(code.match(/new\s+Function\s*\(/g), `${b}: new Function(`).toBeNull();
      expect(code.match(/(?<![\w$.])Function\s*\(/g), `${b}: Function(`).toBeNull();
      expect(code.match(/set(?:Timeout|Interval)\s*\(\s*["'`]/g), `${b}: string timer`).toBeNull();
      expect(code.match(/\.style\s*=|setAttribute\(\s*["']style["']|insertRule|innerHTML\s*=/g), `${b}: style/innerHTML`).toBeNull();
    }
  });

  for (const bundle of BUILDS) {
    it(`${bundle} loads, traces and exports with no violation`, async () => {
      site.receiver.reset();
      const context = await browser.newContext();
      const page = await context.newPage();
      const problems = collectPageProblems(page);
      const response = await page.goto(`${site.page.url}/csp.html?bundle=${bundle}`);
      expect(response!.headers()['content-security-policy']).toContain("script-src 'self'");
      await page.waitForFunction(() => (window as any).cspDone !== undefined, undefined, { timeout: 10_000 });
      expect(await page.evaluate(() => (window as any).cspDone)).toBe(true);
      const spans = await site.receiver.waitForSpans(
        (s) => ['documentLoad', 'csp-app-span', 'route_change'].every((n) => s.some((x) => x.name === n)) && s.filter((x) => x.kind === 3).length >= 2,
      );
      expect(spans.every((s) => s.resource['service.name'] === `csp-${bundle}`)).toBe(true);
      expect(state.seen.filter((s) => s.c.startsWith('csp-')).every((s) => /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[0-3]$/.test(s.traceparent ?? ''))).toBe(true);
      expect(site.receiver.rejected).toEqual([]);
      expect(await page.evaluate(() => (window as any).hostSeen)).toEqual({ errors: [], rejections: [], violations: [] });
      // A violation also shows on the console ("Refused to …"): none.
      expect(problems.errors).toEqual([]);
      await context.close();
    });
  }
});
