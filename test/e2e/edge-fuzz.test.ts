import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EdgeAgent } from '../../src/edge/agent';
import { traceFetch } from '../../src/edge/fetch';
import { traceRequest } from '../../src/edge/httpServer';
import { startTestAgent } from '../support/edgeAgent';
import type { OtlpReceiver } from '../support/otlpReceiver';
import { ROOT, buildEdgeBundle, freePort, otelGoPre142Extract, serverTimingTraceparent, startOrigin, startProcess, tempDir, waitFor, waitForHttp, type RunningProcess } from '../support/edge';
import { APP_SOURCE } from '../support/edgeScenarios';
import { STRICT_OUT, b3Singles, oracleTraceparent, oracleTracestate, seed, strictOutgoingTracestate, traceparents, tracestates, uberTraceIds } from '../unit/host-w3c';
import { parseB3Multi, parseB3Single, parseJaeger } from '../../src/core/formats';

/*
 * Issue 8, malformed input at the edge: generated traceparent / tracestate headers (valid,
 * near-valid, garbage, huge, unicode, repeated), judged by the W3C oracle of
 * test/unit/host-w3c.ts. The bulk (10,240 pairs) goes through the request and fetch wrappers
 * both runtimes share (src/edge/httpServer.ts, src/edge/fetch.ts) in node; a sample of 150
 * header-safe pairs per runtime goes through the built wrappers in real workerd and Deno.
 * Nothing throws, every response keeps its status, every outgoing traceparent is valid W3C
 * (and continues a valid incoming one, or starts a fresh trace), every outgoing tracestate
 * is valid or absent.
 */

const WORKERD = resolve(ROOT, 'node_modules/.bin/workerd');
const DENO = resolve(ROOT, 'node_modules/.bin/deno');

seed(4242);
const N = 10_240;
const TPS = traceparents(N);
const TSS = tracestates(N);

/** What a header value can be on the wire (else no runtime hands it to the wrapper). */
function headerSafe(v: string): boolean {
  try {
    new Headers({ x: v });
    return v.length < 16_000;
  } catch {
    return false;
  }
}

/** A header value as a runtime hands it over: Fetch strips leading and trailing HTTP white space (tab, CR, LF, space). */
const normalized = (v: string) => new Headers({ x: v }).get('x')!;

/** Judges the outgoing headers for one incoming pair (as the wrapper received it); '' when right. */
function judge(tp: string, ts: string, serverTiming: string | null, out: { traceparent?: string | null; tracestate?: string | null }): string {
  const want = oracleTraceparent(tp);
  const st = serverTimingTraceparent(serverTiming);
  if (!st || !STRICT_OUT.test(st)) return `Server-Timing ${serverTiming}`;
  const sent = out.traceparent ?? '';
  if (!STRICT_OUT.test(sent)) return `outgoing traceparent ${JSON.stringify(sent)}`;
  const [, traceId] = sent.split('-');
  if (st.split('-')[1] !== traceId) return 'Server-Timing and the outgoing call are in different traces';
  if (want && traceId !== want.traceId) return 'a valid incoming trace was not continued';
  if (!want && traceId === tp.match(/[0-9a-f]{32}/)?.[0]) return 'an invalid incoming trace id was kept';
  const sentFlags = parseInt(sent.slice(-2), 16);
  // A fresh trace is sent as -01 (no random flag by default), which OTel Go < 1.42 accepts.
  if (!want && (sentFlags !== 1 || !otelGoPre142Extract(sent))) return `a fresh trace is sent as ${sent}, not -01`;
  if (want) {
    // The parent's flags are passed on as they came: sampled, and random for version 00.
    const inTp = tp.replace(/^[ \t]+|[ \t]+$/g, '');
    const inFlags = parseInt(inTp.slice(53, 55), 16) & (inTp.startsWith('00-') ? 3 : 1);
    if (sentFlags !== inFlags) return `flags ${inTp.slice(53, 55)} came in, ${sent.slice(-2)} went out`;
  }
  const state = out.tracestate ?? undefined;
  if (state !== undefined && !strictOutgoingTracestate(state)) return `outgoing tracestate ${JSON.stringify(state)}`;
  if (state !== undefined && (!want || !oracleTracestate(ts))) return `tracestate ${JSON.stringify(state)} without a valid incoming pair`;
  return '';
}

const show = (v: string) => JSON.stringify(v.length > 70 ? v.slice(0, 70) + `…(${v.length})` : v);

describe('edge request and fetch wrappers (shared by tracelet/cloudflare and tracelet/deno), in node', () => {
  let agent: EdgeAgent;
  let receiver: OtlpReceiver;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ agent, receiver, close } = await startTestAgent({ maxQueueSize: 100_000, maxExportBatchSize: 512 }));
  });
  afterAll(async () => {
    await close?.();
  });

  it(`${N} generated pairs through traceRequest + traceFetch: nothing thrown, statuses kept, outgoing headers valid`, async () => {
    const problems: string[] = [];
    let real = 0;
    const sent: { traceparent?: string | null; tracestate?: string | null } = {};
    const fetchOut = traceFetch(async (input, init) => {
      const h = new Headers(init?.headers);
      sent.traceparent = h.get('traceparent');
      sent.tracestate = h.get('tracestate');
      return new Response('origin', { status: 203 });
    });
    for (let i = 0; i < N; i++) {
      const tp = TPS[i];
      const ts = TSS[i];
      // A real Request where the values can be headers; else the raw strings, as a runtime
      // that is less strict about header bytes might hand them over.
      let request: Request;
      if (headerSafe(tp) && headerSafe(ts)) {
        request = new Request('https://edge.example/in?i=' + i, { headers: { traceparent: tp, tracestate: ts } });
        real++;
      } else {
        const raw = new Map([['traceparent', tp], ['tracestate', ts]]);
        request = { method: 'GET', url: 'https://edge.example/in?i=' + i, headers: { get: (k: string) => raw.get(k.toLowerCase()) ?? null } } as unknown as Request;
      }
      sent.traceparent = sent.tracestate = undefined;
      try {
        const res = await traceRequest(agent, request, async () => {
          const r = await fetchOut('https://origin.example/api', { headers: { traceparent: tp.slice(0, 200).replace(/[^\x20-\x7e]/g, ''), 'x-i': String(i) } });
          return new Response(await r.text(), { status: r.status === 203 ? 200 : 500 });
        });
        if (res.status !== 200 || (await res.text()) !== 'origin') problems.push(`${show(tp)}: response ${res.status}`);
        const [inTp, inTs] = request instanceof Request ? [normalized(tp), normalized(ts)] : [tp, ts];
        const why = judge(inTp, inTs, res.headers.get('server-timing'), sent);
        if (why) problems.push(`${show(tp)} / ${show(ts)}: ${why}`);
      } catch (e) {
        problems.push(`${show(tp)} / ${show(ts)}: threw ${(e as Error).message}`);
      }
      if (i % 1000 === 999) await agent.flush();
    }
    await agent.flush();
    expect(real).toBeGreaterThan(N * 0.75);
    expect(problems.slice(0, 20)).toEqual([]);
    // Every export was valid OTLP: the strict receiver refused nothing.
    expect(receiver.rejected.map((r) => r.violations.slice(0, 3))).toEqual([]);
    expect(receiver.spans.length).toBeGreaterThan(N);
  });
});

describe('B3 and Jaeger at the edge wrappers, in node', () => {
  it(`${N} generated b3 / X-B3-* / uber-trace-id values: nothing thrown, statuses kept, every outgoing format valid`, async () => {
    seed(4343);
    const B3S = b3Singles(N);
    const UBERS = uberTraceIds(N);
    const formats = await startTestAgent({ propagators: ['b3', 'b3multi', 'jaeger', 'tracecontext'], maxQueueSize: 100_000 });
    const problems: string[] = [];
    let sent = new Headers();
    const fetchOut = traceFetch(async (_input, init) => {
      sent = new Headers(init?.headers);
      return new Response('origin');
    });
    try {
      for (let i = 0; i < N; i++) {
        const raw = new Map<string, string>([['uber-trace-id', UBERS[i]], ...(i % 2 ? [['b3', B3S[i]]] : [['x-b3-traceid', B3S[i].split('-')[0]], ['x-b3-spanid', B3S[i].split('-')[1] ?? ''], ['x-b3-sampled', B3S[(i * 7) % N].slice(-1)]])] as [string, string][]);
        const request = { method: 'GET', url: 'https://edge.example/in?i=' + i, headers: { get: (k: string) => raw.get(k) ?? null } } as unknown as Request;
        const want = (i % 2 ? parseB3Single(B3S[i]) : parseB3Multi((k) => raw.get(k))) ?? parseJaeger(UBERS[i]);
        try {
          const res = await traceRequest(formats.agent, request, async () => new Response(await (await fetchOut('https://origin.example/')).text()));
          if (res.status !== 200) problems.push(`${i}: status ${res.status}`);
          const tp = sent.get('traceparent') ?? '';
          if (!STRICT_OUT.test(tp)) problems.push(`${i}: traceparent ${tp}`);
          const [, traceId, spanId, flags] = tp.split('-');
          if (want && (traceId !== want.traceId || (flags === '01') !== want.sampled)) problems.push(`${i}: ${show(B3S[i])} / ${show(UBERS[i])} not continued: ${tp}`);
          if (!want && flags !== '01') problems.push(`${i}: a fresh trace sent ${tp}`);
          const s = flags === '01' ? '1' : '0';
          if (sent.get('b3') !== `${traceId}-${spanId}-${s}`) problems.push(`${i}: b3 ${sent.get('b3')}`);
          if (sent.get('x-b3-traceid') !== traceId || sent.get('x-b3-spanid') !== spanId || sent.get('x-b3-sampled') !== s) problems.push(`${i}: x-b3-*`);
          if (sent.get('uber-trace-id') !== `${traceId}:${spanId}:0:0${s}`) problems.push(`${i}: uber-trace-id ${sent.get('uber-trace-id')}`);
        } catch (e) {
          problems.push(`${i}: threw ${(e as Error).message}`);
        }
      }
      await formats.agent.flush();
      expect(problems.slice(0, 20)).toEqual([]);
      expect(formats.receiver.rejected).toEqual([]);
    } finally {
      await formats.close();
    }
  });
});

/** 150 header-safe pairs (a third valid) for the real runtimes. */
function sample(): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < N && out.length < 150; i++) {
    const valid = !!oracleTraceparent(TPS[i]);
    if (!headerSafe(TPS[i]) || !headerSafe(TSS[i]) || TPS[i].length > 4000) continue;
    if ((out.length % 3 === 0) !== valid) continue;
    out.push([TPS[i], TSS[i]]);
  }
  return out;
}

/** Sends the sample through `/proxy` (the edge fetches the origin) and judges each exchange. */
async function runSample(edgeUrl: string, origin: Awaited<ReturnType<typeof startOrigin>>, proc: RunningProcess) {
  const pairs = sample();
  expect(pairs.length).toBe(150);
  const problems: string[] = [];
  for (const [i, [tp, ts]] of pairs.entries()) {
    const id = `fz${i}`;
    try {
      const res = await fetch(`${edgeUrl}/proxy?id=${id}`, { headers: { traceparent: tp, tracestate: ts } });
      const body = await res.text();
      if (res.status !== 200) problems.push(`${show(tp)}: status ${res.status} ${body.slice(0, 100)}`);
      const seen = origin.seen.find((s) => s.path.endsWith(`id=${id}`));
      const h = (k: string) => (Array.isArray(seen?.headers[k]) ? (seen!.headers[k] as string[]).join(',') : (seen?.headers[k] as string | undefined));
      const why = judge(normalized(tp), normalized(ts), res.headers.get('server-timing'), { traceparent: h('traceparent'), tracestate: h('tracestate') });
      if (why) problems.push(`${show(tp)} / ${show(ts)}: ${why}`);
    } catch (e) {
      problems.push(`${show(tp)}: ${(e as Error).message}`);
    }
  }
  expect(problems).toEqual([]);
  expect(proc.output()).not.toMatch(/uncaught|unhandled|exception|hanging promise/i);
}

describe('tracelet/cloudflare in workerd: 150 fuzzed incoming pairs', () => {
  let dir: Awaited<ReturnType<typeof tempDir>> | undefined;
  let origin: Awaited<ReturnType<typeof startOrigin>>;
  let proc: RunningProcess;
  let edgeUrl: string;

  beforeAll(async () => {
    dir = await tempDir('tracelet-edge-fuzz-');
    origin = await startOrigin();
    await buildEdgeBundle('cloudflare', dir.path);
    await writeFile(join(dir.path, 'app.js'), APP_SOURCE);
    await writeFile(
      join(dir.path, 'worker.js'),
      `import { instrument } from './tracelet.js';
import { app } from './app.js';
export default instrument({ async fetch(request, env) { return (await app(request, env.ORIGIN_URL)) ?? new Response('not found', { status: 404 }); } },
  (env) => ({ serviceName: 'edge-fuzz', endpoint: env.OTLP }));`,
    );
    const port = await freePort();
    // A collector nobody runs: exports fail quietly, which is part of the test.
    const dead = `http://127.0.0.1:${await freePort()}/v1/traces`;
    await writeFile(
      join(dir.path, 'config.capnp'),
      `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [(name = "edge", worker = .edge), (name = "internet", network = (allow = ["local"]))],
  sockets = [(name = "edge", address = "127.0.0.1:${port}", http = (), service = "edge")],
);
const edge :Workerd.Worker = (
  modules = [(name = "worker.js", esModule = embed "worker.js"), (name = "app.js", esModule = embed "app.js"), (name = "tracelet.js", esModule = embed "tracelet-cloudflare.js")],
  compatibilityDate = "2025-09-01",
  compatibilityFlags = ["nodejs_als"],
  bindings = [(name = "ORIGIN_URL", text = "${origin.url}"), (name = "OTLP", text = "${dead}")],
);
`,
    );
    proc = startProcess(WORKERD, ['serve', 'config.capnp'], { cwd: dir.path });
    edgeUrl = `http://127.0.0.1:${port}`;
    await waitForHttp(`${edgeUrl}/noio`, proc);
  });
  afterAll(async () => {
    await proc?.stop();
    await origin?.close();
    await dir?.remove();
  });

  it('every response 200, Server-Timing and the origin’s traceparent valid W3C, incoming trace continued only when valid', async () => {
    await runSample(edgeUrl, origin, proc);
  });
});

describe('tracelet/deno in Deno: 150 fuzzed incoming pairs', () => {
  let dir: Awaited<ReturnType<typeof tempDir>> | undefined;
  let origin: Awaited<ReturnType<typeof startOrigin>>;
  let proc: RunningProcess;
  let edgeUrl: string;

  beforeAll(async () => {
    dir = await tempDir('tracelet-edge-fuzz-');
    origin = await startOrigin();
    await buildEdgeBundle('deno', dir.path);
    await writeFile(join(dir.path, 'app.js'), APP_SOURCE);
    await writeFile(
      join(dir.path, 'server.js'),
      `import { serve } from './tracelet-deno.js';
import { app } from './app.js';
const origin = Deno.env.get('ORIGIN');
serve({ serviceName: 'edge-fuzz', endpoint: Deno.env.get('OTLP'), handleSignals: false },
  async (request) => (await app(request, origin)) ?? new Response('not found', { status: 404 }),
  { hostname: '127.0.0.1', port: 0, onListen: ({ port }) => console.log('LISTEN ' + port) });`,
    );
    proc = startProcess(DENO, ['run', '--allow-net', '--allow-env', 'server.js'], {
      cwd: dir.path,
      env: { NO_COLOR: '1', ORIGIN: origin.url, OTLP: `http://127.0.0.1:${await freePort()}/v1/traces` },
    });
    let port = 0;
    await waitFor(() => {
      port = Number(proc.output().match(/LISTEN (\d+)/)?.[1] ?? 0);
      return port > 0 || proc.child.exitCode !== null;
    }, 20_000, 'deno to listen');
    if (!port) throw new Error(`deno exited: ${proc.output()}`);
    edgeUrl = `http://127.0.0.1:${port}`;
    await waitForHttp(`${edgeUrl}/noio`, proc);
  });
  afterAll(async () => {
    await proc?.stop();
    await origin?.close();
    await dir?.remove();
  });

  it('every response 200, Server-Timing and the origin’s traceparent valid W3C, incoming trace continued only when valid', async () => {
    await runSample(edgeUrl, origin, proc);
  });
});
