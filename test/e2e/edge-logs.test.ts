import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOtlpLogsReceiver, type OtlpLogsReceiver } from '../support/otlpLogsReceiver';
import { ROOT, buildEdgeBundle, freePort, incomingParent, serverTimingTraceparent, startProcess, tempDir, waitFor, waitForHttp, type RunningProcess } from '../support/edge';

/*
 * Issue 14, logs: `logs: true` in real workerd and Deno. A request's console output reaches
 * the strict logs receiver with the request's trace and span ids and the severity; the
 * console still prints it; with `logs` off nothing is sent to /v1/logs.
 */
const WORKERD = resolve(ROOT, 'node_modules/.bin/workerd');
const DENO = resolve(ROOT, 'node_modules/.bin/deno');

const HANDLER = `
async (request) => {
  const id = new URL(request.url).searchParams.get('id');
  console.log('request %s', id, { n: 1 });
  console.warn('warned ' + id);
  console.error(new RangeError('failed ' + id));
  return new Response('ok');
}`;

const WORKER = `
import { instrument } from './tracelet.js';
const handler = ${HANDLER};
export default instrument({ fetch: handler }, (env) => ({ serviceName: env.SERVICE, endpoint: env.OTLP, logs: env.LOGS === 'on' }));
`;

const DENO_SERVER = `
import { serve } from './tracelet-deno.js';
const handler = ${HANDLER};
const listen = (name) => ({ hostname: '127.0.0.1', port: 0, onListen: ({ port }) => console.log('LISTEN ' + name + ' ' + port) });
const otlp = Deno.env.get('OTLP');
serve({ serviceName: 'deno-logs-on', endpoint: otlp, logs: true, scheduledDelayMillis: 50 }, handler, listen('on'));
serve({ serviceName: 'deno-logs-off', endpoint: otlp.replace('/v1/traces', '/off/v1/traces'), scheduledDelayMillis: 50 }, handler, listen('off'));
`;

function capnp(p: { on: number; off: number; otlp: string }): string {
  const worker = (service: string, logs: string, otlp: string) => `(
  modules = [
    (name = "worker.js", esModule = embed "worker.js"),
    (name = "tracelet.js", esModule = embed "tracelet-cloudflare.js"),
  ],
  compatibilityDate = "2025-09-01",
  compatibilityFlags = ["nodejs_als"],
  bindings = [(name = "SERVICE", text = "${service}"), (name = "OTLP", text = "${otlp}"), (name = "LOGS", text = "${logs}")],
)`;
  return `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "on", worker = .on),
    (name = "off", worker = .off),
    (name = "internet", network = (allow = ["local"])),
  ],
  sockets = [
    (name = "on", address = "127.0.0.1:${p.on}", http = (), service = "on"),
    (name = "off", address = "127.0.0.1:${p.off}", http = (), service = "off"),
  ],
);
const on :Workerd.Worker = ${worker('workerd-logs-on', 'on', p.otlp)};
const off :Workerd.Worker = ${worker('workerd-logs-off', 'off', p.otlp.replace('/v1/traces', '/off/v1/traces'))};
`;
}

interface Runtime {
  name: string;
  on: string;
  off: string;
  proc: RunningProcess;
}

describe('logs: true in workerd and Deno', () => {
  let dir: Awaited<ReturnType<typeof tempDir>> | undefined;
  let receiver: OtlpLogsReceiver;
  const runtimes: Runtime[] = [];

  beforeAll(async () => {
    dir = await tempDir('tracelet-logs-');
    receiver = await startOtlpLogsReceiver();
    await buildEdgeBundle('cloudflare', dir.path);
    await buildEdgeBundle('deno', dir.path);
    await writeFile(join(dir.path, 'worker.js'), WORKER);
    await writeFile(join(dir.path, 'server.js'), DENO_SERVER);
    const [on, off] = [await freePort(), await freePort()];
    await writeFile(join(dir.path, 'config.capnp'), capnp({ on, off, otlp: receiver.url }));
    const wd = startProcess(WORKERD, ['serve', 'config.capnp'], { cwd: dir.path });
    runtimes.push({ name: 'workerd', on: `http://127.0.0.1:${on}`, off: `http://127.0.0.1:${off}`, proc: wd });
    const deno = startProcess(DENO, ['run', '--allow-net', '--allow-env', 'server.js'], { cwd: dir.path, env: { NO_COLOR: '1', OTLP: receiver.url } });
    const ports: Record<string, number> = {};
    await waitFor(() => {
      for (const m of deno.output().matchAll(/LISTEN (\w+) (\d+)/g)) ports[m[1]] = Number(m[2]);
      return !!(ports.on && ports.off) || deno.child.exitCode !== null;
    }, 20_000, 'deno to listen');
    runtimes.push({ name: 'deno', on: `http://127.0.0.1:${ports.on}`, off: `http://127.0.0.1:${ports.off}`, proc: deno });
    for (const r of runtimes) await waitForHttp(`${r.off}/?id=probe`, r.proc);
  });

  afterAll(async () => {
    await Promise.all(runtimes.map((r) => r.proc.stop()));
    await receiver?.close();
    await dir?.remove();
  });

  it('a request\'s console output reaches the strict logs receiver with its trace and span ids; the console still prints it', async () => {
    for (const r of runtimes) {
      const p = incomingParent('01');
      const id = `${r.name}-on`;
      const res = await fetch(`${r.on}/?id=${id}`, { headers: { traceparent: p.traceparent } });
      expect(await res.text()).toBe('ok');
      const spanId = serverTimingTraceparent(res.headers.get('server-timing'))!.split('-')[2];
      const logs = (await receiver.waitForLogs((l) => l.filter((x) => x.traceId === p.traceId).length >= 3, 15_000)).filter((x) => x.traceId === p.traceId);
      expect(logs.map((l) => [l.severityText, l.body.split('\n')[0]]), r.name).toEqual([
        ['INFO', `request ${id} {"n":1}`],
        ['WARN', `warned ${id}`],
        ['ERROR', `RangeError: failed ${id}`],
      ]);
      for (const l of logs) expect(l).toMatchObject({ spanId, flags: 1 });
      expect(logs[0].resource['service.name']).toBe(`${r.name}-logs-on`);
      await waitFor(() => r.proc.output().includes(`warned ${id}`), 5000, `${r.name} to print`);
      expect(r.proc.output()).toContain(`request ${id}`);
    }
    expect(receiver.rejected).toEqual([]);
  });

  it('logs off: nothing is sent to /v1/logs', async () => {
    for (const r of runtimes) {
      const res = await fetch(`${r.off}/?id=${r.name}-off`);
      await res.text();
    }
    // Spans of the off instances arrive (their exports ran), yet no logs path was ever posted.
    await waitFor(() => (receiver.posts['/off/v1/traces'] ?? 0) >= 2, 15_000, 'the off instances to export spans');
    expect(receiver.posts['/off/v1/logs']).toBeUndefined();
    expect(receiver.logs.some((l) => l.body.includes('-off'))).toBe(false);
  });
});
