import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { createAgent } from '../../src/edge/agent';
import { parseEdgeOptions } from '../../src/edge/config';
import { traceRequest } from '../../src/edge/httpServer';
import { gzipText } from '../../src/core/gzip';
import type { SendOutcome } from '../../src/core/transport';
import { freePort } from '../support/edge';
import { startHttpServer } from '../support/http';
import { startTestAgent } from '../support/edgeAgent';

/* The edge agent's export path: gzip, bounded memory with the collector down, a hanging collector. */

const originalFetch = globalThis.fetch;
afterAll(() => {
  globalThis.fetch = originalFetch;
});

const serve = (agent: ReturnType<typeof createAgent>, n: number) =>
  Promise.all(Array.from({ length: n }, (_, i) => traceRequest(agent, new Request(`https://edge.example/${i}`), () => new Response('ok'))));

describe('edge agent export', () => {
  it('gzip round-trips', async () => {
    const text = JSON.stringify({ resourceSpans: [], note: 'é€😀'.repeat(100) });
    expect(gunzipSync(Buffer.from(await gzipText(text))).toString()).toBe(text);
  });

  it('sends gzip by default and plain JSON with compression: none; both reach the strict receiver', async () => {
    for (const compression of ['gzip', 'none'] as const) {
      const { agent, receiver, close } = await startTestAgent({ compression });
      try {
        await serve(agent, 3);
        await agent.flush();
        expect(receiver.rejected).toEqual([]);
        expect(receiver.spans).toHaveLength(3);
        expect(receiver.requests[0].contentEncoding).toBe(compression === 'gzip' ? 'gzip' : undefined);
      } finally {
        await close();
      }
    }
  });

  it('with the collector down: responses unharmed, flush resolves, memory bounded by maxQueueSize', async () => {
    const dead = `http://127.0.0.1:${await freePort()}/v1/traces`;
    const agent = createAgent(parseEdgeOptions({ serviceName: 'down', endpoint: dead, maxQueueSize: 50 }), {});
    for (let round = 0; round < 10; round++) {
      const responses = await serve(agent, 100);
      expect(responses.every((r) => r.status === 200)).toBe(true);
      await expect(agent.flush()).resolves.toBeUndefined();
    }
    const stats = agent.stats();
    expect(stats.queued).toBeLessThanOrEqual(50);
    expect(stats.exported).toBe(0);
    expect(stats.dropped.queue_full).toBeGreaterThan(900);
  });

  it('a collector that never answers is abandoned after exportTimeoutMillis, so flush settles', async () => {
    const hanging = await startHttpServer(() => new Promise(() => {}));
    try {
      const agent = createAgent(parseEdgeOptions({ serviceName: 'hang', endpoint: hanging.url + '/v1/traces', exportTimeoutMillis: 200 }), {});
      await serve(agent, 1);
      const started = Date.now();
      await agent.flush();
      expect(Date.now() - started).toBeLessThan(2000);
      expect(agent.stats().queued).toBe(1); // kept for a retry, not lost
    } finally {
      await hanging.close();
    }
  });

  it('Workers mode: no timers; flushUnlessBusy leaves spans to the export in flight, whose flush sends them next', async () => {
    const bodies: string[] = [];
    let release: () => void = () => {};
    const transport = {
      send(body: string) {
        bodies.push(body);
        return new Promise<SendOutcome>((done) => (release = () => done({ kind: 'ok' })));
      },
    };
    const agent = createAgent(parseEdgeOptions({ serviceName: 'w', endpoint: 'http://127.0.0.1:9/v1/traces', scheduledDelayMillis: 0 }), {}, { transport, timers: false });
    await serve(agent, 1);
    await new Promise((r) => setTimeout(r, 20));
    expect(bodies).toHaveLength(0); // no timer sent it

    const first = agent.flushUnlessBusy(); // request A: sends its span and stays for what follows
    expect(bodies).toHaveLength(1);
    await serve(agent, 2); // requests B and C end while A's export is in flight
    let bDone = false;
    void agent.flushUnlessBusy().then(() => (bDone = true));
    await new Promise((r) => setTimeout(r, 0));
    expect(bDone).toBe(true); // B does not wait on A's request
    expect(bodies).toHaveLength(1);
    release();
    await new Promise((r) => setTimeout(r, 0));
    expect(bodies).toHaveLength(2); // A's flush sends B's and C's spans in one request
    expect(bodies[1].match(/"spanId"/g)).toHaveLength(2);
    release();
    await first;
    expect(agent.stats()).toMatchObject({ exported: 3, queued: 0 });
  });
});
