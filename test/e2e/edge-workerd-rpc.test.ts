import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOtlpReceiver, type OtlpReceiver } from '../support/otlpReceiver';
import { ROOT, buildEdgeBundle, freePort, incomingParent, startProcess, tempDir, waitForHttp, type RunningProcess } from '../support/edge';

/*
 * Issue 14: all of a Worker traced. In real workerd, a traced front Worker calls a
 * WorkerEntrypoint of a second Worker over a service binding (RPC) and a Durable Object of
 * that Worker over its stub (RPC and fetch); both classes are wrapped by `instrument`.
 * One trace across the three, every SERVER span the child of the caller's CLIENT span,
 * the callee sees exactly the caller's arguments, a throwing method is recorded and its
 * error reaches the caller untouched, and the Durable Object exports inside its own
 * `ctx.waitUntil`.
 */
const WORKERD = resolve(ROOT, 'node_modules/.bin/workerd');

const FRONT = `
import { instrument } from './tracelet.js';

export default instrument(
  {
    async fetch(request, env) {
      const url = new URL(request.url);
      if (url.pathname !== '/rpc') return new Response('front');
      const sum = await env.API.add(2, 3);
      let error;
      try {
        await env.API.fail('boom');
      } catch (e) {
        error = { name: e.name, message: e.message };
      }
      const args = await env.API.echo(1, 'two', { three: [3] });
      const stub = env.COUNTER.getByName('c1');
      const count = await stub.incr(5);
      const doFetch = await (await stub.fetch('http://do/hello')).text();
      return Response.json({ sum, error, args, count, doFetch });
    },
  },
  (env) => ({ serviceName: 'front', endpoint: env.OTLP }),
);
`;

const BACK = `
import { WorkerEntrypoint, DurableObject } from 'cloudflare:workers';
import { instrument } from './tracelet.js';

const config = (env) => ({ serviceName: 'back', endpoint: env.OTLP });

class ApiImpl extends WorkerEntrypoint {
  add(a, b) {
    return a + b;
  }
  fail(message) {
    throw new TypeError(message);
  }
  echo(...args) {
    return args;
  }
}

class CounterImpl extends DurableObject {
  async incr(n) {
    const v = ((await this.ctx.storage.get('v')) ?? 0) + n;
    await this.ctx.storage.put('v', v);
    return v;
  }
  async fetch(request) {
    return new Response('do ' + new URL(request.url).pathname + ' ' + typeof this.ctx.waitUntil);
  }
}

export const Api = instrument(ApiImpl, config);
export const Counter = instrument(CounterImpl, config);
export default { fetch: () => new Response('back') };
`;

function capnp(p: { front: number; otlp: string }): string {
  return `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "front", worker = .front),
    (name = "back", worker = .back),
    (name = "internet", network = (allow = ["local"])),
  ],
  sockets = [(name = "front", address = "127.0.0.1:${p.front}", http = (), service = "front")],
);

const front :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "front.js"),
    (name = "tracelet.js", esModule = embed "tracelet-cloudflare.js"),
  ],
  compatibilityDate = "2025-09-01",
  compatibilityFlags = ["nodejs_als"],
  bindings = [
    (name = "OTLP", text = "${p.otlp}"),
    (name = "API", service = (name = "back", entrypoint = "Api")),
    (name = "COUNTER", durableObjectNamespace = (className = "Counter", serviceName = "back")),
  ],
);

const back :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "back.js"),
    (name = "tracelet.js", esModule = embed "tracelet-cloudflare.js"),
  ],
  compatibilityDate = "2025-09-01",
  compatibilityFlags = ["nodejs_als"],
  bindings = [(name = "OTLP", text = "${p.otlp}")],
  durableObjectNamespaces = [(className = "Counter", uniqueKey = "tracelet-counter")],
  durableObjectStorage = (inMemory = void),
);
`;
}

const SERVER = 2;
const CLIENT = 3;

describe('tracelet/cloudflare: WorkerEntrypoint RPC and Durable Objects in workerd', () => {
  let dir: Awaited<ReturnType<typeof tempDir>> | undefined;
  let receiver: OtlpReceiver | undefined;
  let proc: RunningProcess | undefined;
  let url: string;

  beforeAll(async () => {
    dir = await tempDir('tracelet-workerd-rpc-');
    receiver = await startOtlpReceiver();
    await buildEdgeBundle('cloudflare', dir.path);
    await writeFile(join(dir.path, 'front.js'), FRONT);
    await writeFile(join(dir.path, 'back.js'), BACK);
    const front = await freePort();
    await writeFile(join(dir.path, 'config.capnp'), capnp({ front, otlp: receiver.url }));
    proc = startProcess(WORKERD, ['serve', 'config.capnp'], { cwd: dir.path });
    url = `http://127.0.0.1:${front}`;
    await waitForHttp(`${url}/`, proc);
    await new Promise((r) => setTimeout(r, 200));
    receiver.reset();
  });

  afterAll(async () => {
    await proc?.stop();
    await receiver?.close();
    await dir?.remove();
  });

  it('one trace across the front Worker, the entrypoint and the Durable Object, correctly parented; arguments and errors untouched', async () => {
    const p = incomingParent('01');
    const res = await fetch(`${url}/rpc`, { headers: { traceparent: p.traceparent } });
    const text = await res.text();
    expect(res.status, `${text}\n${proc!.output()}`).toBe(200);
    const body = JSON.parse(text);
    expect(body).toEqual({
      sum: 5,
      error: { name: 'TypeError', message: 'boom' },
      args: [1, 'two', { three: [3] }],
      count: 5,
      doFetch: 'do /hello function',
    });

    // front SERVER + 5 CLIENT (add, fail, echo, incr, fetch) + 5 SERVER on the other side.
    const spans = await receiver!.waitForSpans((s) => s.filter((x) => x.traceId === p.traceId).length >= 11, 15_000);
    const trace = spans.filter((s) => s.traceId === p.traceId);
    expect(trace).toHaveLength(11);
    const front = trace.find((s) => s.kind === SERVER && s.resource['service.name'] === 'front')!;
    expect(front.parentSpanId).toBe(p.parentId);
    const pair = (client: string, server: string) => {
      const c = trace.find((s) => s.kind === CLIENT && s.name === client)!;
      const s = trace.find((x) => x.kind === SERVER && x.name === server && x.resource['service.name'] === 'back')!;
      expect(c, client).toBeDefined();
      expect(s, server).toBeDefined();
      expect(c.parentSpanId).toBe(front.spanId);
      expect(s.parentSpanId, `${server} is a child of ${client}`).toBe(c.spanId);
      expect(s.resource['service.name']).toBe('back');
      return { c, s };
    };
    const add = pair('API/add', 'ApiImpl/add');
    expect(add.c.attributes).toMatchObject({ 'rpc.system': 'cloudflare_rpc', 'rpc.service': 'API', 'rpc.method': 'add' });
    expect(add.s.attributes).toMatchObject({ 'rpc.system': 'cloudflare_rpc', 'rpc.service': 'ApiImpl', 'rpc.method': 'add' });
    pair('API/echo', 'ApiImpl/echo');
    const fail = pair('API/fail', 'ApiImpl/fail');
    expect(fail.s.status).toEqual({ code: 2, message: 'boom' });
    expect(fail.s.events.find((e) => e.name === 'exception')?.attributes).toMatchObject({ 'exception.type': 'TypeError', 'exception.message': 'boom' });
    expect(fail.c.status.code).toBe(2);
    pair('COUNTER/incr', 'CounterImpl/incr');
    const doFetch = pair('GET', 'GET');
    expect(doFetch.s.attributes).toMatchObject({ 'http.request.method': 'GET', 'url.path': '/hello', 'http.response.status_code': 200 });
    expect(receiver!.rejected).toEqual([]);
    expect(proc!.output()).not.toMatch(/uncaught|unhandled|hanging promise|cross-context/i);
  });
});
