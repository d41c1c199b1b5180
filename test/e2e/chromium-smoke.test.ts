import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectPageProblems, launchChromium } from '../support/chromium';
import { serveStatic, startHttpServer, type LoopbackServer } from '../support/http';
import { startOtlpReceiver, type OtlpReceiver } from '../support/otlpReceiver';

// The page exports one span itself: a module script (so serveStatic's MIME types matter)
// POSTing JSON cross-origin, which needs the receiver's CORS preflight to pass.
const APP = `
const otlp = new URL(location.href).searchParams.get('otlp');
const now = BigInt(Date.now()) * 1000000n;
const body = {
  resourceSpans: [{
    resource: { attributes: [{ key: 'service.name', value: { stringValue: 'smoke' } }] },
    scopeSpans: [{
      scope: { name: 'smoke-test' },
      spans: [{
        traceId: '0af7651916cd43dd8448eb211c80319c',
        spanId: 'b7ad6b7169203331',
        name: 'smoke',
        kind: 1,
        startTimeUnixNano: String(now),
        endTimeUnixNano: String(now + 1000n),
        attributes: [{ key: 'page', value: { stringValue: location.origin } }],
      }],
    }],
  }],
};
const res = await fetch(otlp, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
window.exportResult = res.status + ' ' + (await res.text());
`;

describe('chromium smoke', () => {
  let dir: string;
  let browser: Browser;
  let site: LoopbackServer;
  let receiver: OtlpReceiver;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tracelet-smoke-'));
    await writeFile(join(dir, 'index.html'), '<!doctype html><title>smoke</title><script type="module" src="/app.mjs"></script>');
    await writeFile(join(dir, 'app.mjs'), APP);
    await writeFile(join(dir, 'blank.html'), '<!doctype html><title>blank</title>');
    site = await startHttpServer(serveStatic(dir));
    receiver = await startOtlpReceiver({ allowedOrigins: [site.url] });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await Promise.all([site?.close(), receiver?.close()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('exports a span from a page to a receiver on another origin', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const problems = collectPageProblems(page);
    await page.goto(`${site.url}/?otlp=${encodeURIComponent(receiver.url)}`);
    const result = await page.waitForFunction(() => (window as unknown as { exportResult?: string }).exportResult);
    expect(await result.jsonValue()).toBe('200 {"partialSuccess":{}}');

    const [span] = await receiver.waitForSpans((s) => s.length === 1);
    expect(span).toMatchObject({ name: 'smoke', attributes: { page: site.url }, resource: { 'service.name': 'smoke' } });
    expect(receiver.requests.map((r) => `${r.method} ${r.status} ${r.origin}`)).toEqual([
      `OPTIONS 204 ${site.url}`,
      `POST 200 ${site.url}`,
    ]);
    expect(receiver.rejected).toEqual([]);
    expect(problems.errors).toEqual([]);
    await context.close();
  });

  it('sends anything that is not loopback to the dead proxy', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${site.url}/blank.html`);
    const failures: string[] = [];
    page.on('requestfailed', (r) => failures.push(`${r.url()} ${r.failure()?.errorText}`));
    const outcomes = await page.evaluate((urls) => Promise.all(urls.map((u) => fetch(u, { mode: 'no-cors' }).then(() => 'reached', () => 'failed'))),
      ['http://example.com/', 'https://203.0.113.7/']);
    expect(outcomes).toEqual(['failed', 'failed']);
    expect(failures.sort()).toEqual([
      'http://example.com/ net::ERR_PROXY_CONNECTION_FAILED',
      'https://203.0.113.7/ net::ERR_PROXY_CONNECTION_FAILED',
    ]);
    await context.close();
  });
});
