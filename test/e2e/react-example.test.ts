import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectPageProblems, launchChromium } from '../support/chromium';
import { serveStatic, startHttpServer, type LoopbackServer } from '../support/http';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../support/otlpReceiver';

/*
 * examples/react-vite: a React Router app built by Vite with `import { init } from 'tracelet'`,
 * clicked through in Chromium. It has its own package.json, installed by
 * `npm run test:react-example` (which then runs this file with TRACELET_REACT_EXAMPLE=1), so
 * React and Vite stay out of the root devDependencies and `npm test`; CI runs that script.
 */

const ROOT = resolve(import.meta.dirname, '../..');
const EXAMPLE = resolve(ROOT, 'examples/react-vite');
const run = promisify(execFile);
const CLIENT = 3;

describe.skipIf(!process.env.TRACELET_REACT_EXAMPLE)('examples/react-vite', () => {
  let receiver: OtlpReceiver;
  let site: LoopbackServer;
  let browser: Browser;
  const quoteHeaders: Record<string, string | undefined>[] = [];

  beforeAll(async () => {
    expect(existsSync(resolve(EXAMPLE, 'node_modules/.bin/vite')), 'run `npm run test:react-example`: it installs the example first').toBe(true);
    expect(existsSync(resolve(ROOT, 'dist/index.js')), 'dist/ is missing: run `npm run build` first').toBe(true);
    site = await startHttpServer(
      serveStatic(resolve(EXAMPLE, 'dist'), {
        '/api/quote': (req, res) => {
          quoteHeaders.push({ traceparent: String(req.headers.traceparent ?? ''), tracestate: req.headers.tracestate?.toString() });
          res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify({ product: 'mug', price: 14 }));
        },
      }),
    );
    receiver = await startOtlpReceiver({ allowedOrigins: [site.url] });
    // The app's build, as its README says: the endpoint is a Vite env variable.
    await run(resolve(EXAMPLE, 'node_modules/.bin/vite'), ['build', '--logLevel', 'warn'], {
      cwd: EXAMPLE,
      env: { ...process.env, VITE_OTLP_ENDPOINT: receiver.url },
    });
    browser = await launchChromium();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await site?.close();
    await receiver?.close();
  });

  it('traces route changes, a fetch with traceparent, and the app own span', async () => {
    const page = await browser.newPage();
    const problems = collectPageProblems(page);
    await page.goto(`${site.url}/`);
    await page.locator('h1', { hasText: 'Home' }).waitFor();
    // The agent may come a moment after the load event (two-stage loading): wait for it.
    await page.waitForFunction(() => (window as any).tracelet?.getAgent?.() !== undefined, undefined, { timeout: 15_000 });

    await page.click('a[href="/products"]');
    await page.locator('h1', { hasText: 'Products' }).waitFor();
    await page.click('button');
    await expect.poll(() => page.textContent('#quote')).toBe('mug: 14 €');
    await page.click('a[href="/about"]');
    await page.locator('h1', { hasText: 'About' }).waitFor();
    await page.evaluate(() => (window as any).tracelet.getAgent().flush());

    const spans = await receiver.waitForSpans(
      (all) => all.filter((s) => s.name === 'route_change').length >= 2 && all.some((s) => s.name === 'load quote') && all.some((s) => s.kind === CLIENT && String(s.attributes['url.full']).includes('/api/quote')),
      20_000,
    );
    expect(receiver.rejected).toEqual([]);
    for (const s of spans) expect(s.resource['service.name']).toBe('react-shop');

    const routes = spans.filter((s) => s.name === 'route_change');
    expect(routes.map((s) => [s.attributes['tracelet.route.from'], s.attributes['url.full']])).toEqual(
      expect.arrayContaining([
        [`${site.url}/`, `${site.url}/products`],
        [`${site.url}/products`, `${site.url}/about`],
      ]),
    );

    // The app's own span, from trace.getTracer() of @opentelemetry/api, with the fetch under it.
    const own = spans.find((s) => s.name === 'load quote')!;
    expect(own.scope).toMatchObject({ name: 'react-shop', version: '1.0.0' });
    const fetchSpan: ReceivedSpan = spans.find((s) => s.kind === CLIENT && String(s.attributes['url.full']).includes('/api/quote'))!;
    expect(fetchSpan.scope.name).toMatch(/fetch/);
    expect(fetchSpan.traceId).toBe(own.traceId);
    expect(fetchSpan.parentSpanId).toBe(own.spanId);
    expect(fetchSpan.attributes['http.response.status_code']).toBe(200);
    // The request carried a traceparent naming that fetch span.
    expect(quoteHeaders).toHaveLength(1);
    expect(quoteHeaders[0].traceparent).toBe(`00-${fetchSpan.traceId}-${fetchSpan.spanId}-${quoteHeaders[0].traceparent!.slice(-2)}`);
    expect(Number.parseInt(quoteHeaders[0].traceparent!.slice(-2), 16) & 1).toBe(1);

    expect(problems.errors).toEqual([]);
    await page.close();
  });
});
