import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOtlpReceiver, type OtlpReceiver } from '../support/otlpReceiver';
import { ROOT, buildEdgeBundle, freePort, incomingParent, startOrigin, startProcess, tempDir, waitForHttp, type RunningProcess } from '../support/edge';
import { APP_SOURCE, CLIENT, SERVER, edgeScenarios, originRequest, waitForTrace, type EdgeTarget } from '../support/edgeScenarios';

/*
 * A module worker wrapped by `instrument` from the built tracelet/cloudflare bundle, in
 * real workerd, in front of a node origin on 127.0.0.1. Compatibility date before
 * 2026-08-04 on purpose: `nodejs_als` alone must be enough (no nodejs_compat).
 */
const WORKERD = resolve(ROOT, 'node_modules/.bin/workerd');

const WORKER_SOURCE = `
import { instrument } from './tracelet.js';
import { app } from './app.js';

export default instrument(
  {
    async fetch(request, env, ctx) {
      const url = new URL(request.url);
      const id = url.searchParams.get('id') ?? '';
      if (url.pathname === '/binding') {
        const r = await env.ORIGIN.fetch('http://origin/api?via=binding&id=' + id);
        return new Response(await r.text());
      }
      if (url.pathname === '/background') {
        // Work the response does not wait for: its CLIENT span ends after the SERVER span.
        ctx.waitUntil(fetch(env.ORIGIN_URL + '/api?via=background&id=' + id).then((r) => r.text()));
        return new Response('later');
      }
      return (await app(request, env.ORIGIN_URL)) ?? new Response('not found', { status: 404 });
    },
  },
  (env) => ({ serviceName: env.SERVICE, endpoint: env.OTLP, route: (r) => new URL(r.url).pathname, propagators: env.PROPAGATORS?.split(','), maxTracesPerSecond: env.MAX_RATE ? Number(env.MAX_RATE) : undefined }),
);
`;

function capnpConfig(p: { edge: number; down: number; limited: number; origin: number; originUrl: string; otlp: string; dead: string }): string {
  // The main worker reads and writes every format; the other keeps the default (W3C only).
  const worker = (service: string, otlp: string, propagators = '', maxRate = '') => `(
  modules = [
    (name = "worker.js", esModule = embed "worker.js"),
    (name = "app.js", esModule = embed "app.js"),
    (name = "tracelet.js", esModule = embed "tracelet-cloudflare.js"),
  ],
  compatibilityDate = "2025-09-01",
  compatibilityFlags = ["nodejs_als"],
  bindings = [
    (name = "SERVICE", text = "${service}"),
    (name = "OTLP", text = "${otlp}"),${propagators && `
    (name = "PROPAGATORS", text = "${propagators}"),`}${maxRate && `
    (name = "MAX_RATE", text = "${maxRate}"),`}
    (name = "ORIGIN_URL", text = "${p.originUrl}"),
    (name = "ORIGIN", service = "origin"),
  ],
)`;
  return `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "edge", worker = .edge),
    (name = "edgeDown", worker = .edgeDown),
    (name = "edgeLimited", worker = .edgeLimited),
    (name = "origin", external = (address = "127.0.0.1:${p.origin}", http = ())),
    # The default "internet" service refuses private and loopback addresses (SSRF guard).
    (name = "internet", network = (allow = ["local"])),
  ],
  sockets = [
    (name = "edge", address = "127.0.0.1:${p.edge}", http = (), service = "edge"),
    (name = "down", address = "127.0.0.1:${p.down}", http = (), service = "edgeDown"),
    (name = "limited", address = "127.0.0.1:${p.limited}", http = (), service = "edgeLimited"),
  ],
);

const edge :Workerd.Worker = ${worker('edge-workerd', p.otlp, 'tracecontext,b3,b3multi,jaeger')};
const edgeDown :Workerd.Worker = ${worker('edge-workerd-down', p.dead)};
const edgeLimited :Workerd.Worker = ${worker('edge-workerd-limited', p.otlp, '', '10')};
`;
}

describe('tracelet/cloudflare in workerd', () => {
  let dir: Awaited<ReturnType<typeof tempDir>> | undefined;
  let receiver: OtlpReceiver | undefined;
  let origin: Awaited<ReturnType<typeof startOrigin>> | undefined;
  let proc: RunningProcess | undefined;
  let target: EdgeTarget;

  beforeAll(async () => {
    dir = await tempDir('tracelet-workerd-');
    receiver = await startOtlpReceiver();
    origin = await startOrigin();
    await buildEdgeBundle('cloudflare', dir.path);
    await writeFile(join(dir.path, 'worker.js'), WORKER_SOURCE);
    await writeFile(join(dir.path, 'app.js'), APP_SOURCE);
    const [edge, down, dead, limited] = [await freePort(), await freePort(), await freePort(), await freePort()];
    await writeFile(
      join(dir.path, 'config.capnp'),
      capnpConfig({ edge, down, limited, origin: origin.port, originUrl: origin.url, otlp: receiver.url, dead: `http://127.0.0.1:${dead}/v1/traces` }),
    );
    proc = startProcess(WORKERD, ['serve', 'config.capnp'], { cwd: dir.path });
    const edgeUrl = `http://127.0.0.1:${edge}`;
    await waitForHttp(`${edgeUrl}/noio`, proc);
    await waitForHttp(`http://127.0.0.1:${down}/noio`, proc);
    await waitForHttp(`http://127.0.0.1:${limited}/noio`, proc);
    // The readiness probes made spans; start the suite from a clean receiver.
    await new Promise((r) => setTimeout(r, 200));
    receiver.reset();
    origin.seen.length = 0;
    target = { edgeUrl, downUrl: `http://127.0.0.1:${down}`, limitedUrl: `http://127.0.0.1:${limited}`, origin, receiver, proc, serviceName: 'edge-workerd' };
  });

  afterAll(async () => {
    await proc?.stop();
    await Promise.all([receiver?.close(), origin?.close()]);
    await dir?.remove();
  });

  edgeScenarios(() => target);

  it('traces a service-binding fetch with a CLIENT span and a traceparent', async () => {
    const { traceId, traceparent } = incomingParent('01');
    const res = await fetch(`${target.edgeUrl}/binding?id=binding`, { headers: { traceparent } });
    expect(res.status).toBe(200);
    await res.text();
    const spans = await waitForTrace(target, traceId, 2);
    const server = spans.find((s) => s.kind === SERVER)!;
    const client = spans.find((s) => s.kind === CLIENT)!;
    expect(client.parentSpanId).toBe(server.spanId);
    expect(client.attributes['url.full']).toBe('http://origin/api?via=binding&id=binding');
    expect(originRequest(target, 'binding')?.headers.traceparent).toBe(`00-${traceId}-${client.spanId}-01`);
  });

  it('exports a span that ends in ctx.waitUntil work after the response', async () => {
    const { traceId, traceparent } = incomingParent('01');
    const res = await fetch(`${target.edgeUrl}/background?id=bg`, { headers: { traceparent } });
    expect(await res.text()).toBe('later');
    const spans = await waitForTrace(target, traceId, 2);
    const server = spans.find((s) => s.kind === SERVER)!;
    expect(spans.find((s) => s.kind === CLIENT)!.parentSpanId).toBe(server.spanId);
  });

  it('never makes a request wait on another request\'s export (workerd reports no cross-context or hanging promises)', () => {
    expect(proc!.output()).not.toMatch(/cross-context|hanging promise|never generate a response/i);
  });
});
