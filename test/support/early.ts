import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { expect } from 'vitest';
import { DIST, startApi, startSite, type Site } from './site';
import type { Handler } from './http';
import type { ReceivedSpan } from './otlpReceiver';
import { VERSION } from '../../src/core/version';

/*
 * Issue 12's page whose agent comes late or never: test/e2e/fixtures/early.js runs under the
 * loader alone (a fetch and an XHR to the allowed API, a fetch to a third origin, an error).
 */

type Api = Awaited<ReturnType<typeof startApi>>;
const CLIENT = 3; // OTLP SpanKind

export interface EarlySite {
  site: Site;
  /** The API the loader may send `traceparent` to (propagateTo), and a third origin it may not. */
  api: Api;
  third: Api;
  /** `/early.html`: the loader sends to `endpoint` and loads its agent from `agent`. */
  url(endpoint: string, agent: string, extra?: string): string;
  /** Before each test: nothing received, nothing seen. */
  reset(): void;
  /** Releases held agent answers and stops the servers. */
  close(): Promise<void>;
}

/** The fixtures site with the early page, its API and a third origin, all on 127.0.0.1. */
export async function startEarlySite(fixtures: string): Promise<EarlySite> {
  const api = await startApi({ allowTraceHeaders: true });
  const third = await startApi({ allowTraceHeaders: false });
  const held: (() => void)[] = [];
  const site = await startSite(fixtures, earlyRoutes(api, held));
  return {
    site,
    api,
    third,
    url: (endpoint, agent, extra = '') =>
      `${site.page.url}/early.html?endpoint=${encodeURIComponent(endpoint)}&agent=${encodeURIComponent(agent)}&api=${encodeURIComponent(api.url)}&third=${encodeURIComponent(third.url)}${extra}`,
    reset() {
      site.receiver.reset();
      api.seen.length = 0;
      third.seen.length = 0;
    },
    async close() {
      held.forEach((release) => release());
      await Promise.all([site.close(), api.close(), third.close()]);
    },
  };
}

/**
 * `/early.html` (?endpoint, ?agent: the agent's URL, ?api and ?third for early.js, ?tags=2:
 * two loader tags, ?csp: script-src 'self') and `/agent.js` (at once, after ?delay ms, with
 * ?status, or of another ?release). A delayed answer is pushed on `held`.
 */
function earlyRoutes(api: Api, held: (() => void)[]): Record<string, Handler> {
  return {
    '/early.html': (req, res) => {
      const q = new URL(req.url ?? '/', 'http://x').searchParams;
      const tag = `<script src="/dist/tracelet.min.js" data-endpoint="${q.get('endpoint')}" data-service-name="early" data-propagate-to="${api.url}" data-agent-src="${q.get('agent')}"></script>`;
      const headers: Record<string, string> = { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' };
      if (q.has('csp')) headers['content-security-policy'] = "script-src 'self'";
      res.writeHead(200, headers).end(`<!doctype html><html><head><meta charset="utf-8">${tag.repeat(Number(q.get('tags') ?? 1))}
<script src="/early.js"></script></head><body><h1>An early page with some text to paint</h1><img src="/pixel.svg" alt=""></body></html>`);
    },
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
  };
}

/** The `traceparent` the API received on its first GET of `path`. */
export const traceparentAt = (api: Api, path: string): string | undefined =>
  api.seen.find((s) => s.path === path && s.method === 'GET')?.headers.traceparent as string | undefined;

/** The early requests' CLIENT spans carry the ids the API received; the third origin got no header. */
export function expectEarlyRequests(spans: ReceivedSpan[], api: Api, third: Api): void {
  for (const path of ['/api/early-fetch', '/api/early-xhr']) {
    const sent = traceparentAt(api, path);
    expect(sent, path).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    const span = spans.find((s) => s.kind === CLIENT && s.attributes['url.full'] === api.url + path);
    expect(span, `${path} span`).toBeDefined();
    expect(sent).toBe(`00-${span!.traceId}-${span!.spanId}-01`);
    expect(span!.attributes).toMatchObject({ 'http.request.method': 'GET', 'http.response.status_code': 200 });
    expect(BigInt(span!.endTimeUnixNano) >= BigInt(span!.startTimeUnixNano)).toBe(true);
  }
  expect(third.seen.filter((s) => s.headers.traceparent !== undefined || s.method === 'OPTIONS')).toEqual([]);
}
