import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { startSite, type Site } from '../../support/site';
import { forEachEngine } from '../../support/engines';
import { newEchoState, sameOriginRoutes } from '../host-echo';
import { quiet } from './expect';

/*
 * Issue 16: under a strict Content-Security-Policy (as test/e2e/host-csp.test.ts: no eval, no
 * inline script, locked-down connections, Trusted Types required) both script-tag builds
 * load, trace and export with no violation, in every engine. host-watch.js records errors
 * and violations in the page, which also covers WebKit, whose driver reports none.
 */

const FIXTURES = resolve(import.meta.dirname, '../fixtures');
const BUILDS = ['tracelet.min.js', 'tracelet.zone.min.js'];
const state = newEchoState();
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
});
afterAll(async () => {
  await site?.close();
});
beforeEach(async () => {
  await quiet(site.receiver);
  site.receiver.reset();
});

forEachEngine('strict CSP', ({ newPage }) => {
  for (const bundle of BUILDS) {
    it(`${bundle} loads, traces and exports with no violation`, async () => {
      const page = await newPage();
      await page.goto(`${site.page.url}/csp.html?bundle=${bundle}`);
      expect(await page.waitFor(() => (window as any).cspDone, undefined, { what: 'host-csp.js' })).toBe(true);
      const spans = await site.receiver.waitForSpans(
        (s) => ['documentLoad', 'csp-app-span', 'route_change'].every((n) => s.some((x) => x.name === n)) && s.filter((x) => x.kind === 3).length >= 2,
      );
      expect(spans.every((s) => s.resource['service.name'] === `csp-${bundle}`)).toBe(true);
      expect(site.receiver.rejected).toEqual([]);
      expect(await page.evaluate(() => (window as any).hostSeen)).toEqual({ errors: [], rejections: [], violations: [] });
      expect(page.problems).toEqual([]);
      await page.close();
    });
  }
});
