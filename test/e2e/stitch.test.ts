import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { IncomingHttpHeaders } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchChromium, collectPageProblems } from '../support/chromium';
import { startOtlpReceiver, type OtlpReceiver } from '../support/otlpReceiver';
import { startSite, type Site } from '../support/site';
import { htmlTemplate } from '../support/template';
import { ROOT, buildEdgeBundle, startProcess, tempDir, waitFor, type RunningProcess } from '../support/edge';

/*
 * One trace from page to origin: Chromium loads a page through a Deno edge wrapped by
 * tracelet/deno; the page's fetch goes through the same edge to the origin.
 */
const FIXTURES = resolve(import.meta.dirname, 'fixtures');
const SERVER = 2;
const CLIENT = 3;

const EDGE_SOURCE = `
import { serve } from './tracelet-deno.js';
const origin = Deno.env.get('ORIGIN');
serve({ serviceName: 'edge', endpoint: Deno.env.get('OTLP'), scheduledDelayMillis: 50, route: (r) => new URL(r.url).pathname },
  (request) => {
    const u = new URL(request.url);
    return fetch(origin + u.pathname + u.search, { headers: request.headers });
  },
  { hostname: '127.0.0.1', port: 0, onListen: ({ port }) => console.log('LISTEN ' + port) });
`;

let browser: Browser;
let site: Site;
let receiver: OtlpReceiver;
let edge: RunningProcess;
let edgeUrl = '';
let dir: Awaited<ReturnType<typeof tempDir>>;
const seenByOrigin: IncomingHttpHeaders[] = [];

beforeAll(async () => {
  receiver = await startOtlpReceiver({ allowedOrigins: '*' });
  site = await startSite(FIXTURES, {
    '/stitch.html': htmlTemplate(resolve(FIXTURES, 'stitch.html'), () => ({ ENDPOINT: receiver.url })),
    '/api/stitch': (req, res) => {
      seenByOrigin.push(req.headers);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    },
  });
  dir = await tempDir('tracelet-stitch-');
  await buildEdgeBundle('deno', dir.path);
  await writeFile(join(dir.path, 'edge.js'), EDGE_SOURCE);
  edge = startProcess(resolve(ROOT, 'node_modules/.bin/deno'), ['run', '--allow-net', '--allow-env', 'edge.js'], {
    cwd: dir.path,
    env: { NO_COLOR: '1', ORIGIN: site.page.url, OTLP: receiver.url },
  });
  await waitFor(() => /LISTEN \d+/.test(edge.output()) || edge.child.exitCode !== null, 20_000, 'the edge to listen');
  edgeUrl = `http://127.0.0.1:${/LISTEN (\d+)/.exec(edge.output())![1]}`;
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await edge?.stop();
  await Promise.all([site?.close(), receiver?.close()]);
  await dir?.remove();
});

describe('browser → edge → origin in one trace', () => {
  it('documentLoad and the fetch span continue the edge span that served the page; the origin continues the edge CLIENT span', async () => {
    const page = await (await browser.newContext()).newPage();
    const problems = collectPageProblems(page);
    await page.goto(`${edgeUrl}/stitch.html`);
    expect(await page.evaluate(() => (window as any).apiDone)).toBe(200);
    await page.waitForTimeout(400);
    await page.evaluate(() => new Promise((r) => (window as any).Tracelet.onReady((a: any) => a.flush().then(r))));

    const spans = await receiver.waitForSpans(
      (s) => s.some((x) => x.name === 'documentLoad') && s.filter((x) => x.kind === SERVER).length >= 2 && s.filter((x) => x.kind === CLIENT).length >= 3,
      20_000,
    );
    const byService = (svc: string) => spans.filter((s) => s.resource['service.name'] === svc);
    const htmlServer = byService('edge').find((s) => s.kind === SERVER && s.attributes['url.path'] === '/stitch.html')!;
    const apiServer = byService('edge').find((s) => s.kind === SERVER && s.attributes['url.path'] === '/api/stitch')!;
    const apiClient = byService('edge').find((s) => s.kind === CLIENT && s.parentSpanId === apiServer.spanId)!;
    const load = byService('web').find((s) => s.name === 'documentLoad')!;
    const browserFetch = byService('web').find((s) => s.kind === CLIENT && String(s.attributes['url.full']).endsWith('/api/stitch'))!;

    const traceId = htmlServer.traceId;
    for (const s of [load, browserFetch, apiServer, apiClient]) expect(s.traceId).toBe(traceId);
    expect(load.parentSpanId).toBe(htmlServer.spanId);
    expect(browserFetch.parentSpanId).toBe(htmlServer.spanId);
    expect(apiServer.parentSpanId).toBe(browserFetch.spanId);
    expect(apiClient.parentSpanId).toBe(apiServer.spanId);
    expect(seenByOrigin.at(-1)!.traceparent).toMatch(new RegExp(`^00-${traceId}-${apiClient.spanId}-0[13]$`));
    expect(receiver.rejected).toEqual([]);
    expect(problems.errors).toEqual([]);
  });
});
