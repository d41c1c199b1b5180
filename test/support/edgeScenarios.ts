import { expect, it } from 'vitest';
import type { ReceivedSpan, OtlpReceiver } from './otlpReceiver';
import { incomingParent, otelGoPre142Extract, serverTimingTraceparent, waitFor, type RunningProcess, type SeenByOrigin } from './edge';

/**
 * The edge app both runtimes serve, as a plain ES module: each runtime's entry wraps it
 * with its own `instrument`. `origin` is the node origin's URL.
 */
export const APP_SOURCE = `
export async function app(request, origin) {
  const url = new URL(request.url);
  const id = url.searchParams.get('id') ?? '';
  switch (url.pathname) {
    case '/proxy': {
      const r = await fetch(origin + '/api?via=proxy&id=' + id);
      return new Response(await r.text(), { status: r.status, headers: { 'content-type': 'application/json' } });
    }
    case '/forward':
      // The incoming request forwarded as is (its traceparent and tracestate included);
      // the origin's response is passed through with its immutable headers.
      return fetch(new Request(origin + '/api?via=forward&id=' + id, request));
    case '/noio':
      return new Response('no io');
    case '/throw':
      throw new Error('boom ' + id);
  }
  return undefined;
}
`;

export const SERVER = 2;
export const CLIENT = 3;
const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';

export interface EdgeTarget {
  /** The traced app, exporting to `receiver`. */
  edgeUrl: string;
  /** The same app, exporting to a port where nothing listens. */
  downUrl: string;
  /** The same app with `maxTracesPerSecond: 10`, exporting to `receiver` as `<serviceName>-limited`. */
  limitedUrl: string;
  origin: { url: string; seen: SeenByOrigin[] };
  receiver: OtlpReceiver;
  proc: RunningProcess;
  /** What `service.name` the traced app reports. */
  serviceName: string;
}

const header = (seen: SeenByOrigin | undefined, name: string) => {
  const v = seen?.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
};

export const originRequest = (t: EdgeTarget, id: string) => t.origin.seen.find((s) => s.path.includes(`id=${id}&`) || s.path.endsWith(`id=${id}`));

export const spansOf = (t: EdgeTarget, traceId: string) => t.receiver.spans.filter((s) => s.traceId === traceId);

export async function waitForTrace(t: EdgeTarget, traceId: string, count: number, timeoutMs = 10_000): Promise<ReceivedSpan[]> {
  await t.receiver.waitForSpans((spans) => spans.filter((s) => s.traceId === traceId).length >= count, timeoutMs);
  return spansOf(t, traceId);
}

/** The assertions issue 4 asks of every edge runtime, against a running edge. */
export function edgeScenarios(target: () => EdgeTarget): void {
  it('continues the incoming trace: SERVER span, CLIENT child, origin traceparent, Server-Timing', async () => {
    const t = target();
    const { traceId, parentId, traceparent } = incomingParent('01');
    const res = await fetch(`${t.edgeUrl}/proxy?id=basic`, { headers: { traceparent, 'user-agent': UA } });
    expect(res.status).toBe(200);
    await res.text();

    const seen = originRequest(t, 'basic');
    const originTp = header(seen, 'traceparent')!;
    expect(originTp).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));

    const spans = await waitForTrace(t, traceId, 2);
    const server = spans.find((s) => s.kind === SERVER)!;
    const client = spans.find((s) => s.kind === CLIENT)!;
    expect(server.parentSpanId).toBe(parentId);
    expect(client.parentSpanId).toBe(server.spanId);
    expect(originTp.split('-')[2]).toBe(client.spanId);

    expect(server.name).toBe('GET /proxy');
    expect(server.attributes).toMatchObject({
      'http.request.method': 'GET',
      'url.path': '/proxy',
      'http.route': '/proxy',
      'http.response.status_code': 200,
      'user_agent.original': UA,
    });
    expect(server.attributes).not.toHaveProperty('client.address');
    expect(server.resource['service.name']).toBe(t.serviceName);
    expect(client.attributes).toMatchObject({
      'http.request.method': 'GET',
      'url.full': `${t.origin.url}/api?via=proxy&id=basic`,
      'http.response.status_code': 200,
    });

    // The browser reads this to parent its page-load span on the edge SERVER span.
    expect(serverTimingTraceparent(res.headers.get('server-timing'))).toBe(`00-${traceId}-${server.spanId}-01`);
  });

  it('200 concurrent requests with distinct traces: 200 correctly parented SERVER and CLIENT spans, coalesced exports', async () => {
    const t = target();
    const requestsBefore = t.receiver.requests.length;
    let jsonBytes = 0;
    t.receiver.respond(({ body }) => {
      jsonBytes += Buffer.byteLength(body);
      return 200;
    });
    const parents = Array.from({ length: 200 }, () => incomingParent('01'));
    const responses = await Promise.all(
      parents.map(async (p, i) => {
        const res = await fetch(`${t.edgeUrl}/proxy?id=c${i}`, { headers: { traceparent: p.traceparent, 'user-agent': UA } });
        return { status: res.status, timing: res.headers.get('server-timing'), body: await res.text() };
      }),
    );
    expect(responses.map((r) => r.status)).toEqual(parents.map(() => 200));

    const ids = new Set(parents.map((p) => p.traceId));
    await t.receiver.waitForSpans((spans) => spans.filter((s) => ids.has(s.traceId)).length >= 400, 20_000);
    parents.forEach((p, i) => {
      const spans = spansOf(t, p.traceId);
      const servers = spans.filter((s) => s.kind === SERVER);
      const clients = spans.filter((s) => s.kind === CLIENT);
      expect(servers, `trace ${i}`).toHaveLength(1);
      expect(clients, `trace ${i}`).toHaveLength(1);
      expect(servers[0].parentSpanId).toBe(p.parentId);
      expect(clients[0].parentSpanId).toBe(servers[0].spanId);
      // No cross-talk: the origin request of this trace names this trace's CLIENT span.
      const tp = header(originRequest(t, `c${i}`), 'traceparent');
      expect(tp).toBe(`00-${p.traceId}-${clients[0].spanId}-01`);
      expect(serverTimingTraceparent(responses[i].timing)).toBe(`00-${p.traceId}-${servers[0].spanId}-01`);
    });

    t.receiver.respond(null);
    const posts = t.receiver.requests.slice(requestsBefore).filter((r) => r.method === 'POST' && r.status === 200);
    const bytes = posts.reduce((n, r) => n + r.bytes, 0);
    const spans = posts.reduce((n, r) => n + r.spanCount, 0);
    console.info(`[${t.serviceName}] 200 requests → ${spans} spans in ${posts.length} OTLP POSTs, ${bytes} bytes on the wire (${(bytes / spans).toFixed(0)} B/span ${posts[0]?.contentEncoding ?? 'identity'}, ${(jsonBytes / spans).toFixed(0)} B/span as JSON)`);
    // Spans of concurrent requests share requests: far fewer POSTs than requests.
    expect(posts.length).toBeLessThan(100);
    expect(bytes / spans).toBeLessThanOrEqual(500);
  });

  it('a handler that throws still exports its span: status ERROR and an exception event', async () => {
    const t = target();
    const { traceId, traceparent } = incomingParent('01');
    const res = await fetch(`${t.edgeUrl}/throw?id=thrown`, { headers: { traceparent } });
    expect(res.status).toBe(500);
    await res.text();
    const [server] = await waitForTrace(t, traceId, 1);
    expect(server.kind).toBe(SERVER);
    expect(server.status).toEqual({ code: 2, message: 'boom thrown' });
    const event = server.events.find((e) => e.name === 'exception');
    expect(event?.attributes).toMatchObject({ 'exception.type': 'Error', 'exception.message': 'boom thrown' });
    expect(String(event?.attributes['exception.stacktrace'])).toContain('boom thrown');
  });

  it('a handler that does no I/O still exports its span', async () => {
    const t = target();
    const { traceId, parentId, traceparent } = incomingParent('01');
    const res = await fetch(`${t.edgeUrl}/noio`, { headers: { traceparent } });
    expect(await res.text()).toBe('no io');
    const [server] = await waitForTrace(t, traceId, 1);
    expect(server.parentSpanId).toBe(parentId);
    expect(server.attributes['http.response.status_code']).toBe(200);
  });

  it('adds Server-Timing to a passed-through fetch response (immutable headers) and keeps its headers', async () => {
    const t = target();
    const { traceId, traceparent } = incomingParent('01');
    const res = await fetch(`${t.edgeUrl}/forward?id=passthrough`, { headers: { traceparent } });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-origin')).toBe('1');
    const tp = serverTimingTraceparent(res.headers.get('server-timing'));
    expect(tp).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    expect(await res.json()).toEqual({ path: '/api?via=forward&id=passthrough' });
  });

  it('a malformed traceparent starts a fresh trace and never throws', async () => {
    const t = target();
    const bad = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-0x';
    const res = await fetch(`${t.edgeUrl}/proxy?id=malformed`, { headers: { traceparent: bad } });
    expect(res.status).toBe(200);
    await res.text();
    const tp = serverTimingTraceparent(res.headers.get('server-timing'))!;
    const traceId = tp.split('-')[1];
    expect(traceId).not.toBe('0af7651916cd43dd8448eb211c80319c');
    // A trace the edge starts is sampled, without the random flag (randomTraceIdFlag is off).
    expect(tp.endsWith('-01')).toBe(true);
    const spans = await waitForTrace(t, traceId, 2);
    expect(spans.find((s) => s.kind === SERVER)!.parentSpanId).toBeUndefined();
    expect(header(originRequest(t, 'malformed'), 'traceparent')).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
  });

  it('a fresh trace and a browser-started one reach an OTel Go < 1.42 origin as one trace', async () => {
    const t = target();
    // No traceparent: the edge starts the trace. Then what the browser agent sends for a
    // trace it starts (core sampler defaults: sampled, no random flag).
    for (const [id, headers] of [['go-fresh', {}], ['go-browser', { traceparent: incomingParent('01').traceparent }]] as const) {
      const res = await fetch(`${t.edgeUrl}/proxy?id=${id}`, { headers });
      expect(res.status).toBe(200);
      await res.text();
      const sent = header(originRequest(t, id), 'traceparent');
      const go = otelGoPre142Extract(sent);
      expect(go, `${id}: OTel Go < 1.42 rejects ${sent}`).toBeDefined();
      const serverTp = serverTimingTraceparent(res.headers.get('server-timing'))!;
      expect(go!.traceId).toBe(serverTp.split('-')[1]);
      expect(go!.sampled).toBe(true);
      if ('traceparent' in headers) expect(go!.traceId).toBe(headers.traceparent.split('-')[1]);
      const spans = await waitForTrace(t, go!.traceId, 2);
      expect(spans.find((s) => s.kind === CLIENT)!.spanId).toBe(go!.spanId);
    }
  });

  it('B3 single, B3 multi and uber-trace-id continue the trace; the origin gets every format; malformed ones start a fresh trace', async () => {
    const t = target();
    const cases = ['b3', 'b3multi', 'jaeger'].map((format) => {
      const p = incomingParent('01');
      const headers: Record<string, string> =
        format === 'b3'
          ? { b3: `${p.traceId}-${p.parentId}-1` }
          : format === 'b3multi'
            ? { 'x-b3-traceid': p.traceId, 'x-b3-spanid': p.parentId, 'x-b3-sampled': '1' }
            : { 'uber-trace-id': `${p.traceId}:${p.parentId}:0:1` };
      return { format, p, headers };
    });
    for (const { format, p, headers } of cases) {
      const res = await fetch(`${t.edgeUrl}/proxy?id=fmt-${format}`, { headers });
      expect(res.status).toBe(200);
      await res.text();
      const spans = await waitForTrace(t, p.traceId, 2);
      const server = spans.find((s) => s.kind === SERVER)!;
      const client = spans.find((s) => s.kind === CLIENT)!;
      expect(server.parentSpanId, format).toBe(p.parentId);
      const seen = originRequest(t, `fmt-${format}`);
      expect(header(seen, 'traceparent')).toBe(`00-${p.traceId}-${client.spanId}-01`);
      expect(header(seen, 'b3')).toBe(`${p.traceId}-${client.spanId}-1`);
      expect([header(seen, 'x-b3-traceid'), header(seen, 'x-b3-spanid'), header(seen, 'x-b3-sampled')]).toEqual([p.traceId, client.spanId, '1']);
      expect(header(seen, 'uber-trace-id')).toBe(`${p.traceId}:${client.spanId}:0:01`);
    }
    // A 64-bit B3 trace id is padded to 128 bits.
    const short = incomingParent('01');
    const res64 = await fetch(`${t.edgeUrl}/proxy?id=fmt-64`, { headers: { b3: `${short.traceId.slice(16)}-${short.parentId}-1` } });
    await res64.text();
    expect(header(originRequest(t, 'fmt-64'), 'x-b3-traceid')).toBe('0'.repeat(16) + short.traceId.slice(16));
    // Malformed, in every format at once: a fresh trace, a 200, nothing thrown.
    const bad = { b3: 'zz-not-b3', 'x-b3-traceid': 'x', 'x-b3-spanid': '0000000000000000', 'uber-trace-id': '1:2', traceparent: 'nope' };
    const res = await fetch(`${t.edgeUrl}/proxy?id=fmt-bad`, { headers: bad });
    expect(res.status).toBe(200);
    await res.text();
    const fresh = serverTimingTraceparent(res.headers.get('server-timing'))!.split('-')[1];
    const spans = await waitForTrace(t, fresh, 2);
    expect(spans.find((s) => s.kind === SERVER)!.parentSpanId).toBeUndefined();
    expect(header(originRequest(t, 'fmt-bad'), 'b3')).toMatch(new RegExp(`^${fresh}-[0-9a-f]{16}-1$`));
  });

  it('drops an invalid tracestate whole, keeps a valid one, and carries the random flag (02) to the origin', async () => {
    const t = target();
    const a = incomingParent('03');
    // Forwarding the incoming request would carry its invalid tracestate along: the edge must drop it.
    const res = await fetch(`${t.edgeUrl}/forward?id=badstate`, { headers: { traceparent: a.traceparent, tracestate: 'good=1,BAD KEY=2' } });
    expect(res.status).toBe(200);
    await res.text();
    const seenBad = originRequest(t, 'badstate');
    expect(header(seenBad, 'traceparent')).toMatch(new RegExp(`^00-${a.traceId}-[0-9a-f]{16}-03$`));
    expect(header(seenBad, 'tracestate')).toBeUndefined();

    const b = incomingParent('03');
    const res2 = await fetch(`${t.edgeUrl}/proxy?id=goodstate`, { headers: { traceparent: b.traceparent, tracestate: 'vendor=abc,other=x y' } });
    await res2.text();
    const seenGood = originRequest(t, 'goodstate');
    expect(header(seenGood, 'traceparent')).toMatch(new RegExp(`^00-${b.traceId}-[0-9a-f]{16}-03$`));
    expect(header(seenGood, 'tracestate')).toBe('vendor=abc,other=x y');
    expect(serverTimingTraceparent(res2.headers.get('server-timing'))).toMatch(/-03$/);
    const spans = await waitForTrace(t, b.traceId, 2);
    expect(spans.find((s) => s.kind === SERVER)!.traceState).toBe('vendor=abc,other=x y');
  });

  it('with the collector down, responses are still 200 and nothing is thrown', async () => {
    const t = target();
    const from = t.proc.output().length;
    for (let round = 0; round < 5; round++) {
      const statuses = await Promise.all(
        Array.from({ length: 40 }, async (_, i) => {
          const res = await fetch(`${t.downUrl}/${i % 2 ? 'noio' : 'proxy'}?id=down${round}-${i}`);
          await res.text();
          return res.status;
        }),
      );
      expect(statuses.every((s) => s === 200)).toBe(true);
    }
    // Give the failed exports time to happen, then look for anything the runtime reported.
    await new Promise((r) => setTimeout(r, 500));
    expect(t.proc.child.exitCode).toBeNull();
    expect(t.proc.output().slice(from)).not.toMatch(/uncaught|unhandled|tracelet/i);
  });

  it('maxTracesPerSecond 10: 1,000 requests in about a second start about 10 sampled traces; the rest are counted', async () => {
    const t = target();
    const service = t.serviceName + '-limited';
    const started = performance.now();
    let sampled = 0;
    let unsampled = 0;
    // 20 rounds of 50 concurrent requests, 50 ms apart (bounded: 1,000 requests in all).
    for (let round = 0; round < 20; round++) {
      const flags = await Promise.all(
        Array.from({ length: 50 }, async () => {
          const res = await fetch(`${t.limitedUrl}/noio`);
          await res.text();
          return serverTimingTraceparent(res.headers.get('server-timing'))!.slice(-2);
        }),
      );
      for (const f of flags) if (f === '01') sampled++; else unsampled++;
      await new Promise((r) => setTimeout(r, 50));
    }
    const seconds = (performance.now() - started) / 1000;
    expect(sampled + unsampled).toBe(1000);
    // Counts ride with the next export: on Workers the next event's (an export was in
    // flight when the last ones ended). One more request, sampled after a pause, carries them.
    await new Promise((r) => setTimeout(r, 300));
    const last = await fetch(`${t.limitedUrl}/noio`);
    await last.text();
    expect(serverTimingTraceparent(last.headers.get('server-timing'))!.slice(-2)).toBe('01');
    // At most the bucket saved while idle (one second's worth) plus the rate over the run.
    expect(sampled).toBeLessThanOrEqual(10 + Math.ceil(10 * seconds) + 1);
    expect(sampled).toBeGreaterThanOrEqual(Math.floor(10 * seconds) - 2);
    // Every sampled trace is exported; the unsampled ones are reported as rate_limited drops.
    const reported = () =>
      t.receiver.spans.filter((s) => s.resource['service.name'] === service && s.name === 'tracelet.dropped').reduce((n, s) => n + Number(s.attributes['tracelet.dropped.rate_limited'] ?? 0), 0);
    await t.receiver.waitForSpans((spans) => spans.filter((s) => s.resource['service.name'] === service && s.kind === SERVER).length > sampled && reported() >= unsampled, 15_000);
    expect(t.receiver.spans.filter((s) => s.resource['service.name'] === service && s.kind === SERVER)).toHaveLength(sampled + 1);
    expect(reported()).toBe(unsampled);
    console.info(`[${service}] 1000 requests in ${seconds.toFixed(2)} s: ${sampled} sampled, ${unsampled} rate_limited`);
  });

  it('sends only valid OTLP/JSON: the strict receiver rejected nothing', async () => {
    const t = target();
    await waitFor(() => t.receiver.requests.length > 0, 5000, 'any export');
    expect(t.receiver.rejected).toEqual([]);
  });
}
