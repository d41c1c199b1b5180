import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { instrument } from '../../src/edge/cloudflare/index';
import type { ExecutionContext, ExportedHandler, MessageBatch, ScheduledController } from '../../src/edge/cloudflare/types';
import { incomingParent, serverTimingTraceparent } from '../support/edge';
import { SPAN_KIND } from '../support/edgeAgent';
import { startOtlpReceiver, type OtlpReceiver } from '../support/otlpReceiver';

/*
 * The Workers adapter with a fake ExecutionContext and env (the real runtime is in
 * test/e2e/edge-workerd.test.ts): waitUntil use, lazy config from env, bindings, scheduled
 * and queue events, and a bad config that leaves the worker untraced.
 */

const originalFetch = globalThis.fetch;
let receiver: OtlpReceiver;

function fakeCtx() {
  const pending: Promise<unknown>[] = [];
  const ctx: ExecutionContext & { props: object } = {
    waitUntil: (p) => void pending.push(p),
    passThroughOnException: vi.fn(),
    props: { tenant: 't1' },
  };
  return {
    ctx,
    pending,
    /** Waits for everything handed to waitUntil, including what was added meanwhile. */
    async settle() {
      for (let seen = -1; seen !== pending.length; ) {
        seen = pending.length;
        await Promise.allSettled(pending);
      }
    },
  };
}

interface Env {
  OTLP: string;
  NAME: string;
  SVC: { fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response>; ping(): string };
}

const svcCalls: Request[] = [];
const env = (): Env => ({
  OTLP: receiver.url,
  NAME: 'cf-unit',
  SVC: {
    async fetch(input, init) {
      svcCalls.push(new Request(input, init));
      return new Response('from service');
    },
    ping() {
      return this === undefined ? 'unbound' : 'pong';
    },
  },
});

beforeAll(async () => {
  receiver = await startOtlpReceiver();
});
beforeEach(() => {
  receiver.reset();
  svcCalls.length = 0;
});
afterEach(() => vi.restoreAllMocks());

/** The handler as the runtime sees it: every method called with (event, env, ctx). */
const asRuntime = (h: object) => h as ExportedHandler<Env>;
afterAll(async () => {
  await receiver.close();
  globalThis.fetch = originalFetch;
});

describe('instrument (Cloudflare Workers)', () => {
  it('traces fetch, registers the export in waitUntil before the response, and keeps `this` and other properties', async () => {
    const factory = vi.fn((e: Env) => ({ serviceName: e.NAME, endpoint: e.OTLP }));
    const instrumented = instrument(
      {
        greeting: 'hello',
        async fetch(this: { greeting: string }, _req: Request, e: Env, c: ExecutionContext) {
          expect((c as unknown as { props: object }).props).toEqual({ tenant: 't1' });
          expect(e.NAME).toBe('cf-unit');
          return new Response(this.greeting);
        },
        email() {
          return 'untouched';
        },
      },
      factory,
    );
    expect(instrumented.email()).toBe('untouched');
    const worker = asRuntime(instrumented);
    const p = incomingParent('01');
    const { ctx, pending, settle } = fakeCtx();
    const e = env();
    const responding = worker.fetch!(new Request('https://w.example/a', { headers: { traceparent: p.traceparent } }), e, ctx);
    expect(pending).toHaveLength(1); // registered synchronously: a request without I/O exports too
    const res = await responding;
    expect(await res.text()).toBe('hello');
    expect(serverTimingTraceparent(res.headers.get('server-timing'))).toMatch(new RegExp(`^00-${p.traceId}-`));
    await settle();
    expect(receiver.spans).toHaveLength(1);
    expect(receiver.spans[0]).toMatchObject({ traceId: p.traceId, parentSpanId: p.parentId, kind: SPAN_KIND.SERVER });
    expect(receiver.spans[0].resource).toMatchObject({ 'service.name': 'cf-unit', 'cloud.provider': 'cloudflare' });

    // The config function runs once, on the first event.
    const second = fakeCtx();
    await worker.fetch!(new Request('https://w.example/b'), e, second.ctx);
    await second.settle();
    expect(factory).toHaveBeenCalledTimes(1);
  });

  it('records client.address from cf-connecting-ip only when asked', async () => {
    const worker = asRuntime(instrument({ fetch: () => new Response('') }, { serviceName: 'cf', endpoint: receiver.url, captureClientAddress: true }));
    const { ctx, settle } = fakeCtx();
    await worker.fetch!(new Request('https://w.example/', { headers: { 'cf-connecting-ip': '198.51.100.7' } }), env(), ctx);
    await settle();
    expect(receiver.spans[0].attributes['client.address']).toBe('198.51.100.7');
  });

  it('traces service-binding fetchers in env; other bindings pass through, RPC methods get a CLIENT span', async () => {
    const worker = asRuntime(instrument(
      {
        async fetch(_req: Request, e: Env) {
          expect(e.NAME).toBe('cf-unit');
          expect(await e.SVC.ping()).toBe('pong');
          return e.SVC.fetch('https://svc.internal/do', { method: 'POST', body: 'x' });
        },
      },
      (e: Env) => ({ serviceName: 'cf', endpoint: e.OTLP }),
    ));
    const p = incomingParent('01');
    const { ctx, settle } = fakeCtx();
    const res = await worker.fetch!(new Request('https://w.example/', { headers: { traceparent: p.traceparent } }), env(), ctx);
    expect(await res.text()).toBe('from service');
    await settle();
    const client = receiver.spans.find((s) => s.kind === SPAN_KIND.CLIENT && s.name === 'POST')!;
    const server = receiver.spans.find((s) => s.kind === SPAN_KIND.SERVER)!;
    expect(client.parentSpanId).toBe(server.spanId);
    const rpc = receiver.spans.find((s) => s.name === 'SVC/ping')!;
    expect(rpc).toMatchObject({ kind: SPAN_KIND.CLIENT, parentSpanId: server.spanId });
    expect(rpc.attributes).toMatchObject({ 'rpc.system': 'cloudflare_rpc', 'rpc.service': 'SVC', 'rpc.method': 'ping' });
    expect(svcCalls[0].headers.get('traceparent')).toBe(`00-${p.traceId}-${client.spanId}-01`);
    expect(await svcCalls[0].text()).toBe('x');
  });

  it("flushes again after the handler's own waitUntil work, so its spans are exported too", async () => {
    const worker = asRuntime(instrument(
      {
        fetch(_req: Request, e: Env, c: ExecutionContext) {
          c.waitUntil(new Promise((r) => setTimeout(r, 20)).then(() => e.SVC.fetch('https://svc.internal/later')));
          return new Response('now');
        },
      },
      { serviceName: 'cf', endpoint: receiver.url },
    ));
    const { ctx, settle } = fakeCtx();
    await worker.fetch!(new Request('https://w.example/'), env(), ctx);
    await settle();
    expect(receiver.spans.map((s) => s.kind).sort()).toEqual([SPAN_KIND.SERVER, SPAN_KIND.CLIENT].sort());
  });

  it('an exception is recorded, exported and rethrown untouched', async () => {
    const boom = new Error('worker failed');
    const worker = asRuntime(instrument({ fetch: () => Promise.reject(boom) }, { serviceName: 'cf', endpoint: receiver.url }));
    const { ctx, settle } = fakeCtx();
    await expect(worker.fetch!(new Request('https://w.example/'), env(), ctx)).rejects.toBe(boom);
    await settle();
    expect(receiver.spans[0].status).toEqual({ code: 2, message: 'worker failed' });
  });

  it('traces a Cron Trigger as a SERVER span with faas attributes', async () => {
    const controller: ScheduledController = { cron: '*/5 * * * *', scheduledTime: Date.UTC(2026, 0, 2, 3, 5), noRetry: () => {} };
    const worker = asRuntime(instrument(
      {
        async scheduled(_c: ScheduledController, e: Env) {
          await e.SVC.fetch('https://svc.internal/cron');
        },
      },
      { serviceName: 'cf', endpoint: receiver.url },
    ));
    const { ctx, settle } = fakeCtx();
    await worker.scheduled!(controller, env(), ctx);
    await settle();
    const span = receiver.spans.find((s) => s.kind === SPAN_KIND.SERVER)!;
    expect(span.name).toBe('scheduled */5 * * * *');
    expect(span.parentSpanId).toBeUndefined();
    expect(span.attributes).toEqual({ 'faas.trigger': 'timer', 'faas.cron': '*/5 * * * *', 'faas.time': '2026-01-02T03:05:00.000Z' });
    expect(receiver.spans.find((s) => s.kind === SPAN_KIND.CLIENT)!.parentSpanId).toBe(span.spanId);
  });

  it('traces a Queues batch as a CONSUMER span and rethrows its failure', async () => {
    const batch: MessageBatch = { queue: 'jobs', messages: [{ id: '1', body: 'a' }, { id: '2', body: 'b' }] };
    const worker = asRuntime(instrument(
      {
        queue() {
          throw new RangeError('bad message');
        },
      },
      { serviceName: 'cf', endpoint: receiver.url },
    ));
    const { ctx, settle } = fakeCtx();
    await expect(worker.queue!(batch, env(), ctx)).rejects.toThrow('bad message');
    await settle();
    expect(receiver.spans[0]).toMatchObject({
      name: 'process jobs',
      kind: SPAN_KIND.CONSUMER,
      status: { code: 2, message: 'bad message' },
      attributes: {
        'faas.trigger': 'pubsub',
        'messaging.operation.type': 'process',
        'messaging.destination.name': 'jobs',
        'messaging.batch.message_count': 2,
        'error.type': 'RangeError',
      },
    });
  });

  it.each([
    ['a bad option', () => ({ serviceName: 'cf', endpoint: 'not a url' }), /option "endpoint"/],
    [
      'a config function that throws',
      () => {
        throw new Error('no env var');
      },
      /config function threw.*no env var/,
    ],
  ])('%s: one console.error, then the worker runs untraced and never throws', async (_, config, message) => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    const seen: unknown[] = [];
    const worker = asRuntime(instrument(
      {
        fetch(_req: Request, e: Env, c: ExecutionContext) {
          seen.push(e, c);
          return new Response('plain');
        },
      },
      config,
    ));
    const e = env();
    for (let i = 0; i < 3; i++) {
      const { ctx, pending } = fakeCtx();
      const res = await worker.fetch!(new Request('https://w.example/'), e, ctx);
      expect(await res.text()).toBe('plain');
      expect(res.headers.has('server-timing')).toBe(false);
      expect(pending).toHaveLength(0);
      expect(seen.slice(-2)).toEqual([e, ctx]);
    }
    expect(error).toHaveBeenCalledTimes(1);
    expect(error.mock.calls[0][0]).toMatch(message);
  });
});

describe('instrument(class): WorkerEntrypoint and Durable Object classes (fakes; workerd in edge-workerd-rpc)', () => {
  class Base {
    constructor(
      readonly ctx: ExecutionContext,
      readonly env: Env,
    ) {}
  }
  class Room extends Base {
    static made = 0;
    seen: unknown[][] = [];
    join(...args: unknown[]) {
      this.seen.push(args);
      return 'joined ' + this.env.NAME;
    }
    async alarm() {
      return 'rang';
    }
    async webSocketMessage(_ws: unknown, message: string) {
      if (message === 'bad') throw new RangeError('bad message');
    }
  }

  it('RPC methods: a SERVER span continuing the hidden carrier, which the method never sees; alarm and WebSocket handlers: root spans', async () => {
    const Traced = instrument(Room, (e: Env) => ({ serviceName: 'room', endpoint: e.OTLP }));
    expect(Traced.name).toBe('Room');
    const { ctx, settle } = fakeCtx();
    const room = new Traced(ctx, env());
    expect(room).toBeInstanceOf(Room);
    const p = incomingParent('01');
    expect(await room.join(1, { a: 2 }, { 'tracelet.traceparent': p.traceparent })).toBe('joined cf-unit');
    expect(await room.join('plain')).toBe('joined cf-unit');
    // Not a carrier: an object with other keys too is the caller's own argument.
    const own = { 'tracelet.traceparent': p.traceparent, other: 1 };
    await room.join(own);
    expect(room.seen).toEqual([[1, { a: 2 }], ['plain'], [own]]);
    expect(await room.alarm()).toBe('rang');
    await expect(room.webSocketMessage({}, 'bad')).rejects.toThrow(RangeError);
    await settle();
    const spans = receiver.spans;
    const joins = spans.filter((s) => s.name === 'Room/join');
    expect(joins).toHaveLength(3);
    expect(joins[0]).toMatchObject({ traceId: p.traceId, parentSpanId: p.parentId, kind: SPAN_KIND.SERVER });
    expect(joins[0].attributes).toMatchObject({ 'rpc.system': 'cloudflare_rpc', 'rpc.service': 'Room', 'rpc.method': 'join' });
    expect(joins[1].parentSpanId).toBeUndefined();
    expect(spans.find((s) => s.name === 'Room.alarm')).toMatchObject({ kind: SPAN_KIND.SERVER });
    expect(spans.find((s) => s.name === 'Room.webSocketMessage')!.status.code).toBe(2);
  });

  it('a bad config leaves the class working, untraced', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    const Traced = instrument(Room, { serviceName: '' } as never);
    const room = new Traced(fakeCtx().ctx, env());
    expect(room.join('x')).toBe('joined cf-unit');
    expect(error).toHaveBeenCalledTimes(1);
    error.mockRestore();
  });
});
