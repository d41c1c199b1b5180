import { trace } from '@opentelemetry/api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { EdgeAgent } from '../../src/edge/agent';
import { traceFetch } from '../../src/edge/fetch';
import { traceRequest } from '../../src/edge/httpServer';
import { traceparentFromServerTiming } from '../../src/core/serverTiming';
import { withServerTiming } from '../../src/edge/serverTiming';
import { incomingParent, otelGoPre142Extract, serverTimingTraceparent } from '../support/edge';
import { SPAN_KIND, startTestAgent } from '../support/edgeAgent';
import type { OtlpReceiver } from '../support/otlpReceiver';

/*
 * The runtime-neutral SERVER span (httpServer.ts) in node: context from the incoming
 * headers, attributes, errors, Server-Timing, and isolation between concurrent requests.
 */

const originalFetch = globalThis.fetch;
let agent: EdgeAgent;
let receiver: OtlpReceiver;
let close: () => Promise<void>;

/** A fetch that records what it was asked and answers `status`. */
function recordingFetch(status = 200) {
  const calls: { input: RequestInfo | URL; headers: Headers }[] = [];
  const fn = traceFetch(async (input, init) => {
    calls.push({ input, headers: new Headers(init?.headers) });
    return new Response('ok', { status });
  });
  return { fn, calls };
}

const request = (path: string, headers: Record<string, string> = {}, method = 'GET') =>
  new Request('https://edge.example' + path, { method, headers });

async function serverSpanOf(traceId: string) {
  await agent.flush();
  const spans = receiver.spans.filter((s) => s.traceId === traceId && s.kind === SPAN_KIND.SERVER);
  expect(spans).toHaveLength(1);
  return spans[0];
}

beforeAll(async () => {
  ({ agent, receiver, close } = await startTestAgent({ route: (r) => (new URL(r.url).pathname.startsWith('/users/') ? '/users/:id' : undefined) }));
});
beforeEach(() => receiver.reset());
afterAll(async () => {
  await close();
  globalThis.fetch = originalFetch;
});

describe('traceRequest', () => {
  it('continues the incoming trace and names the CLIENT span in the outgoing traceparent', async () => {
    const p = incomingParent('01');
    const out = recordingFetch();
    const res = await traceRequest(agent, request('/users/7', { traceparent: p.traceparent, 'user-agent': 'UA/1' }), async () => {
      await out.fn('https://origin.example/api');
      return new Response('hi');
    });
    expect(await res.text()).toBe('hi');
    const server = await serverSpanOf(p.traceId);
    const client = receiver.spans.find((s) => s.kind === SPAN_KIND.CLIENT)!;
    expect(server.parentSpanId).toBe(p.parentId);
    expect(server.name).toBe('GET /users/:id');
    expect(server.attributes).toEqual({
      'http.request.method': 'GET',
      'url.path': '/users/7',
      'url.scheme': 'https',
      'http.route': '/users/:id',
      'user_agent.original': 'UA/1',
      'http.response.status_code': 200,
    });
    expect(client.parentSpanId).toBe(server.spanId);
    expect(out.calls[0].headers.get('traceparent')).toBe(`00-${p.traceId}-${client.spanId}-01`);
    expect(serverTimingTraceparent(res.headers.get('server-timing'))).toBe(`00-${p.traceId}-${server.spanId}-01`);
  });

  it('an unsampled parent: nothing exported, the decision travels on (flags 00)', async () => {
    const p = incomingParent('00');
    const out = recordingFetch();
    const res = await traceRequest(agent, request('/x', { traceparent: p.traceparent }), async () => {
      await out.fn('https://origin.example/api');
      return new Response('hi');
    });
    await agent.flush();
    expect(receiver.spans).toHaveLength(0);
    expect(out.calls[0].headers.get('traceparent')).toMatch(new RegExp(`^00-${p.traceId}-[0-9a-f]{16}-00$`));
    expect(serverTimingTraceparent(res.headers.get('server-timing'))).toMatch(new RegExp(`^00-${p.traceId}-[0-9a-f]{16}-00$`));
  });

  it.each([
    ['garbage', 'not a traceparent'],
    ['uppercase hex', '00-0AF7651916CD43DD8448EB211C80319C-B7AD6B7169203331-01'],
    ['all-zero trace id', '00-00000000000000000000000000000000-b7ad6b7169203331-01'],
    ['version ff', 'ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'],
    ['version 00 with extra fields', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra'],
  ])('a malformed traceparent (%s) starts a fresh trace, flags 01 (no random flag by default)', async (_, traceparent) => {
    const res = await traceRequest(agent, request('/x', { traceparent }), () => new Response('ok'));
    const tp = serverTimingTraceparent(res.headers.get('server-timing'))!;
    const [, traceId, , flags] = tp.split('-');
    expect(traceId).not.toBe('0af7651916cd43dd8448eb211c80319c');
    expect(flags).toBe('01');
    expect((await serverSpanOf(traceId)).parentSpanId).toBeUndefined();
  });

  it('randomTraceIdFlag: true sends 03 on the traces the edge starts, never on a parent\'s', async () => {
    const other = await startTestAgent({ randomTraceIdFlag: true });
    try {
      const fresh = serverTimingTraceparent((await traceRequest(other.agent, request('/x'), () => new Response('ok'))).headers.get('server-timing'))!;
      expect(fresh.slice(-2)).toBe('03');
      expect(otelGoPre142Extract(fresh)).toBeUndefined();
      const p = incomingParent('01');
      const kept = serverTimingTraceparent((await traceRequest(other.agent, request('/x', { traceparent: p.traceparent }), () => new Response('ok'))).headers.get('server-timing'))!;
      expect(kept).toMatch(new RegExp(`^00-${p.traceId}-[0-9a-f]{16}-01$`));
      expect(otelGoPre142Extract(kept)).toMatchObject({ traceId: p.traceId, sampled: true });
    } finally {
      await other.close();
    }
  });

  it('a future version is parsed as the spec says: ids kept, only the sampled bit trusted', async () => {
    const p = incomingParent('01');
    const res = await traceRequest(agent, request('/x', { traceparent: `cc-${p.traceId}-${p.parentId}-03-what-ever` }), () => new Response('ok'));
    expect(serverTimingTraceparent(res.headers.get('server-timing'))).toMatch(new RegExp(`^00-${p.traceId}-[0-9a-f]{16}-01$`));
    expect((await serverSpanOf(p.traceId)).parentSpanId).toBe(p.parentId);
  });

  it('records an exception (ERROR, exception event, error.type) and rethrows the very same object', async () => {
    const p = incomingParent('01');
    const boom = new TypeError('bad input');
    await expect(traceRequest(agent, request('/x', { traceparent: p.traceparent }), () => Promise.reject(boom))).rejects.toBe(boom);
    const server = await serverSpanOf(p.traceId);
    expect(server.status).toEqual({ code: 2, message: 'bad input' });
    expect(server.attributes['error.type']).toBe('TypeError');
    expect(server.attributes).not.toHaveProperty('http.response.status_code');
    expect(server.events[0]).toMatchObject({ name: 'exception', attributes: { 'exception.type': 'TypeError', 'exception.message': 'bad input' } });
  });

  it('rethrows a synchronous throw of a non-Error untouched', async () => {
    const p = incomingParent('01');
    await expect(
      traceRequest(agent, request('/x', { traceparent: p.traceparent }), () => {
        throw 'plain string';
      }),
    ).rejects.toBe('plain string');
    expect((await serverSpanOf(p.traceId)).status.code).toBe(2);
  });

  it('5xx is an error on a SERVER span, 4xx is not', async () => {
    const a = incomingParent('01');
    const b = incomingParent('01');
    await traceRequest(agent, request('/x', { traceparent: a.traceparent }), () => new Response('', { status: 503 }));
    await traceRequest(agent, request('/x', { traceparent: b.traceparent }), () => new Response('', { status: 404 }));
    expect(await serverSpanOf(a.traceId)).toMatchObject({ status: { code: 2 }, attributes: { 'error.type': '503', 'http.response.status_code': 503 } });
    expect(await serverSpanOf(b.traceId)).toMatchObject({ status: { code: 0 }, attributes: { 'http.response.status_code': 404 } });
  });

  it('an unknown method becomes _OTHER with the original kept, and the span is named HTTP', async () => {
    const p = incomingParent('01');
    await traceRequest(agent, request('/x', { traceparent: p.traceparent }, 'PURGE'), () => new Response(''));
    const server = await serverSpanOf(p.traceId);
    expect(server.name).toBe('HTTP');
    expect(server.attributes).toMatchObject({ 'http.request.method': '_OTHER', 'http.request.method_original': 'PURGE' });
  });

  it('records client.address only when captureClientAddress is on', async () => {
    const p = incomingParent('01');
    await traceRequest(agent, request('/x', { traceparent: p.traceparent }), () => new Response(''), { clientAddress: () => '203.0.113.9' });
    expect(await serverSpanOf(p.traceId)).not.toHaveProperty('attributes.client\\.address');

    const other = await startTestAgent({ captureClientAddress: true });
    try {
      const q = incomingParent('01');
      await traceRequest(other.agent, request('/x', { traceparent: q.traceparent }), () => new Response(''), { clientAddress: () => '203.0.113.9' });
      await other.agent.flush();
      expect(other.receiver.spans[0].attributes['client.address']).toBe('203.0.113.9');
    } finally {
      await other.close();
    }
  });

  it('a route function that throws is ignored', async () => {
    const other = await startTestAgent({
      route: () => {
        throw new Error('route bug');
      },
    });
    try {
      const res = await traceRequest(other.agent, request('/x'), () => new Response('fine'));
      expect(await res.text()).toBe('fine');
      await other.agent.flush();
      expect(other.receiver.spans[0].name).toBe('GET');
    } finally {
      await other.close();
    }
  });

  it('user code sees the SERVER span through @opentelemetry/api and can add children', async () => {
    const p = incomingParent('01');
    await traceRequest(agent, request('/x', { traceparent: p.traceparent }), async () => {
      await new Promise((r) => setTimeout(r, 1));
      trace.getActiveSpan()?.setAttribute('app.user', 'u1');
      trace.getTracer('app').startSpan('db query').end();
      return new Response('');
    });
    const server = await serverSpanOf(p.traceId);
    expect(server.attributes['app.user']).toBe('u1');
    expect(receiver.spans.find((s) => s.name === 'db query')?.parentSpanId).toBe(server.spanId);
  });

  it('keeps 100 concurrent requests apart across awaits and timers', async () => {
    const out = recordingFetch();
    const parents = Array.from({ length: 100 }, () => incomingParent('01'));
    await Promise.all(
      parents.map((p, i) =>
        traceRequest(agent, request(`/c/${i}`, { traceparent: p.traceparent }), async () => {
          await new Promise((r) => setTimeout(r, (i * 7) % 13));
          await out.fn(`https://origin.example/${i}`);
          await Promise.resolve().then(() => new Promise((r) => setTimeout(r, i % 3)));
          await out.fn(`https://origin.example/${i}/again`);
          return new Response('');
        }),
      ),
    );
    await agent.flush();
    parents.forEach((p, i) => {
      const spans = receiver.spans.filter((s) => s.traceId === p.traceId);
      const server = spans.find((s) => s.kind === SPAN_KIND.SERVER)!;
      expect(server.attributes['url.path']).toBe(`/c/${i}`);
      const clients = spans.filter((s) => s.kind === SPAN_KIND.CLIENT);
      expect(clients.map((c) => c.attributes['url.full']).sort()).toEqual([`https://origin.example/${i}`, `https://origin.example/${i}/again`]);
      for (const c of clients) expect(c.parentSpanId).toBe(server.spanId);
    });
    for (const call of out.calls) {
      const i = String(call.input instanceof Request ? call.input.url : call.input).split('/')[3];
      expect(call.headers.get('traceparent')!.split('-')[1]).toBe(parents[Number(i)].traceId);
    }
  });
});

describe('Server-Timing', () => {
  it('is appended to a header the handler set itself', async () => {
    const res = await traceRequest(agent, request('/x'), () => new Response('', { headers: { 'server-timing': 'db;dur=53' } }));
    expect(res.headers.get('server-timing')).toMatch(/^db;dur=53, traceparent;desc="00-[0-9a-f]{32}-[0-9a-f]{16}-01"$/);
  });

  it('copies a response whose headers are immutable, keeping status, headers and body', async () => {
    const original = Response.redirect('https://edge.example/next', 302);
    expect(() => original.headers.set('x', 'y')).toThrow();
    const res = await traceRequest(agent, request('/x'), () => original);
    expect(res).not.toBe(original);
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('https://edge.example/next');
    expect(serverTimingTraceparent(res.headers.get('server-timing'))).toBeDefined();
  });

  it('never touches a 101 / WebSocket upgrade', () => {
    const upgrade = { status: 101, headers: new Headers() } as unknown as Response;
    expect(withServerTiming(upgrade, 'traceparent;desc="x"')).toBe(upgrade);
    expect(upgrade.headers.has('server-timing')).toBe(false);
    const ws = Object.assign(new Response(null, { status: 200 }), { webSocket: {} });
    expect(withServerTiming(ws, 'traceparent;desc="x"').headers.has('server-timing')).toBe(false);
  });

  it.each([
    ['trace', /^trace;desc=00-([0-9a-f]{32})-[0-9a-f]{16}-01$/],
    ['both', /^traceparent;desc="00-([0-9a-f]{32})-[0-9a-f]{16}-01", trace;desc=00-([0-9a-f]{32})-[0-9a-f]{16}-01$/],
  ] as const)('serverTiming: %s sends the Level 3 draft entry, which the browser-side reader picks up', async (serverTiming, shape) => {
    const other = await startTestAgent({ serverTiming });
    try {
      const res = await traceRequest(other.agent, request('/x'), () => new Response(''));
      const header = res.headers.get('server-timing')!;
      expect(header).toMatch(shape);
      // As a browser's PerformanceServerTiming would list them.
      const entries = header.split(', ').map((e) => ({ name: e.split(';')[0], description: e.split('desc=')[1].replace(/"/g, '') }));
      const tp = traceparentFromServerTiming(entries)!;
      expect(tp.split('-')[1]).toBe(header.match(shape)![1]);
      await other.agent.flush();
      const [server] = (await other.receiver.waitForSpans((s) => s.length >= 1)).filter((s) => s.traceId === tp.split('-')[1]);
      expect(tp.split('-')[2]).toBe(server.spanId);
    } finally {
      await other.close();
    }
  });

  it('is left out with serverTiming: false', async () => {
    const other = await startTestAgent({ serverTiming: false });
    try {
      const res = await traceRequest(other.agent, request('/x'), () => new Response(''));
      expect(res.headers.has('server-timing')).toBe(false);
    } finally {
      await other.close();
    }
  });
});
