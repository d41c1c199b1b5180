import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpServer, type LoopbackServer } from '../support/http';
import { startOtlpReceiver, type OtlpReceiver } from '../support/otlpReceiver';
import {
  ROOT,
  buildEdgeBundle,
  freePort,
  incomingParent,
  serverTimingTraceparent,
  startOrigin,
  startProcess,
  tempDir,
  waitFor,
  waitForHttp,
  type RunningProcess,
} from '../support/edge';
import { APP_SOURCE, SERVER, edgeScenarios, originRequest, spansOf, type EdgeTarget } from '../support/edgeScenarios';

/*
 * Servers wrapped by tracelet/deno (the built bundle) in real Deno, in front of a node
 * origin on 127.0.0.1: `serve()` exporting to the strict receiver, `instrument()` with
 * `Deno.serve` exporting to a dead port, and a `serve()` whose timer never fires, which
 * only a flush on shutdown can export.
 */
const DENO = resolve(ROOT, 'node_modules/.bin/deno');

const SERVER_SOURCE = `
import { instrument, serve } from './tracelet-deno.js';
import { app } from './app.js';

const origin = Deno.env.get('ORIGIN');
const otlp = Deno.env.get('OTLP');
const handler = async (request) => (await app(request, origin)) ?? new Response('not found', { status: 404 });
const listen = (name) => ({ hostname: '127.0.0.1', port: 0, onListen: ({ port }) => console.log('LISTEN ' + name + ' ' + port) });
const route = (r) => new URL(r.url).pathname;

const propagators = ['tracecontext', 'b3', 'b3multi', 'jaeger'];
serve({ serviceName: 'edge-deno', endpoint: otlp, scheduledDelayMillis: 50, route, propagators }, handler, listen('main'));
Deno.serve(listen('down'), instrument(handler, { serviceName: 'edge-deno-down', endpoint: Deno.env.get('DEAD'), scheduledDelayMillis: 20 }));
serve({ serviceName: 'edge-deno-lazy', endpoint: otlp, scheduledDelayMillis: 600000 }, handler, listen('lazy'));
serve({ serviceName: 'edge-deno-limited', endpoint: otlp, scheduledDelayMillis: 50, maxTracesPerSecond: 10 }, handler, listen('limited'));
`;

function runDeno(cwd: string, env: Record<string, string>): RunningProcess {
  // No DENO_DIR writes needed: the script imports only local files.
  return startProcess(DENO, ['run', '--allow-net', '--allow-env', 'server.js'], { cwd, env: { NO_COLOR: '1', ...env } });
}

async function listeningPorts(proc: RunningProcess, names: string[]): Promise<Record<string, number>> {
  const ports: Record<string, number> = {};
  await waitFor(() => {
    for (const m of proc.output().matchAll(/LISTEN (\w+) (\d+)/g)) ports[m[1]] = Number(m[2]);
    return names.every((n) => ports[n]) || proc.child.exitCode !== null;
  }, 20_000, `deno to listen (output: ${proc.output()})`);
  if (!names.every((n) => ports[n])) throw new Error(`deno exited: ${proc.output()}`);
  return ports;
}

describe('tracelet/deno in Deno', () => {
  let dir: Awaited<ReturnType<typeof tempDir>> | undefined;
  let receiver: OtlpReceiver | undefined;
  let origin: Awaited<ReturnType<typeof startOrigin>> | undefined;
  let proc: RunningProcess | undefined;
  let builtinProc: RunningProcess | undefined;
  let builtinCollector: LoopbackServer | undefined;
  let target: EdgeTarget;
  let lazyUrl: string;

  beforeAll(async () => {
    dir = await tempDir('tracelet-deno-');
    receiver = await startOtlpReceiver();
    origin = await startOrigin();
    await buildEdgeBundle('deno', dir.path);
    await writeFile(join(dir.path, 'server.js'), SERVER_SOURCE);
    await writeFile(join(dir.path, 'app.js'), APP_SOURCE);
    proc = runDeno(dir.path, { ORIGIN: origin.url, OTLP: receiver.url, DEAD: `http://127.0.0.1:${await freePort()}/v1/traces` });
    const ports = await listeningPorts(proc, ['main', 'down', 'lazy', 'limited']);
    const edgeUrl = `http://127.0.0.1:${ports.main}`;
    lazyUrl = `http://127.0.0.1:${ports.lazy}`;
    await waitForHttp(`${edgeUrl}/noio`, proc);
    await new Promise((r) => setTimeout(r, 300));
    receiver.reset();
    origin.seen.length = 0;
    target = { edgeUrl, downUrl: `http://127.0.0.1:${ports.down}`, limitedUrl: `http://127.0.0.1:${ports.limited}`, origin, receiver, proc, serviceName: 'edge-deno' };
  });

  afterAll(async () => {
    await Promise.all([proc?.stop(), builtinProc?.stop()]);
    await Promise.all([receiver?.close(), origin?.close(), builtinCollector?.close()]);
    await dir?.remove();
  });

  edgeScenarios(() => target);

  it("with OTEL_DENO=true, leaves tracing to Deno's built-in OpenTelemetry: one info line, no second span", async () => {
    const bodies: string[] = [];
    builtinCollector = await startHttpServer((req, res, body) => {
      if (req.url === '/v1/traces') bodies.push(body.toString());
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
    builtinProc = runDeno(dir!.path, {
      ORIGIN: origin!.url,
      OTLP: receiver!.url,
      DEAD: `http://127.0.0.1:${await freePort()}/v1/traces`,
      OTEL_DENO: 'true',
      OTEL_EXPORTER_OTLP_ENDPOINT: builtinCollector.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_SERVICE_NAME: 'deno-builtin',
      OTEL_BSP_SCHEDULE_DELAY: '200',
    });
    const ports = await listeningPorts(builtinProc, ['main']);
    const receivedBefore = receiver!.requests.length;
    const { traceId, traceparent } = incomingParent('01');
    const res = await fetch(`http://127.0.0.1:${ports.main}/proxy?id=builtin`, { headers: { traceparent } });
    expect(res.status).toBe(200);
    await res.text();
    expect(serverTimingTraceparent(res.headers.get('server-timing'))).toBeUndefined();
    // Deno's own fetch instrumentation continued the trace to the origin.
    expect(originRequest(target, 'builtin')?.headers.traceparent).toMatch(new RegExp(`^00-${traceId}-`));

    const received = () =>
      bodies.flatMap((b) =>
        (JSON.parse(b).resourceSpans ?? []).flatMap((rs: any) =>
          rs.scopeSpans.flatMap((ss: any) => ss.spans.map((s: any) => ({ ...s, scope: ss.scope.name }))),
        ),
      );
    // Deno's exporter sends on its own schedule; both the SERVER and the CLIENT span must come.
    await waitFor(() => received().filter((s: any) => s.traceId === traceId).length >= 2, 15_000, "Deno's own spans");
    await new Promise((r) => setTimeout(r, 300));
    await builtinProc.stop();
    expect(builtinProc.output().match(/tracelet: Deno's built-in OpenTelemetry is on/g)).toHaveLength(1);
    const spans = received();
    const ofTrace = spans.filter((s: any) => s.traceId === traceId);
    expect(ofTrace.filter((s: any) => s.kind === SERVER || s.kind === 'SPAN_KIND_SERVER')).toHaveLength(1);
    expect(spans.some((s: any) => s.scope === 'tracelet')).toBe(false);
    expect(receiver!.requests.length).toBe(receivedBefore);
  });

  // Last: it ends the Deno process.
  it('flushes on SIGTERM: spans the timer has not sent yet are exported, then Deno exits 143', async () => {
    const { traceId, traceparent } = incomingParent('01');
    const res = await fetch(`${lazyUrl}/proxy?id=lazy`, { headers: { traceparent } });
    expect(res.status).toBe(200);
    await res.text();
    await new Promise((r) => setTimeout(r, 300));
    expect(spansOf(target, traceId)).toHaveLength(0);
    proc!.child.kill('SIGTERM');
    expect(await proc!.exited).toBe(143);
    expect(spansOf(target, traceId)).toHaveLength(2);
    expect(receiver!.rejected).toEqual([]);
  });
});
