/* global AbortSignal */
// Part 7: edge overhead. A handler that makes one outbound fetch to a node origin on
// 127.0.0.1, served plain and wrapped by tracelet (dist/cloudflare.js in workerd,
// dist/deno.js in Deno), and in Deno also with Deno's built-in OpenTelemetry
// (OTEL_DENO=true, its default OTLP/protobuf exporter). Each runtime is pinned to one core
// (taskset -c 1); 16 keep-alive connections from a bounded node load generator; requests/s,
// latency p50/p99, the runtime's CPU time per request (/proc/<pid>/stat), its RSS growth,
// cold start (spawn → first 200), and what reached the receiver.
//
// @microlabs/otel-cf-workers (1.0.0-rc.52) pins its own OpenTelemetry packages (core 2.0.x,
// exporter 0.200.x): installed into bench/out/otel-cf-workers with its own node_modules, so
// the project keeps one copy of @opentelemetry/core, and bundled there for workerd.
import { existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, rm, writeFile } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { rollup } from 'rollup';
import nodeResolve from '@rollup/plugin-node-resolve';
import commonjs from '@rollup/plugin-commonjs';
import { fmt, fmtRatio, isMain, main, mdTable, median, ratio, runs, sleep, table, withDeadline } from './lib/common.mjs';
import { load } from './lib/load.mjs';
import { startBenchReceiver } from './lib/receiver.mjs';
import { loadSupport, OUT, ROOT } from './lib/support.mjs';

const WORKERD = join(ROOT, 'node_modules/.bin/workerd');
const DENO = join(ROOT, 'node_modules/.bin/deno');
const DIR = join(OUT, 'edge');
const DURATION_MS = 5000;
const WARMUP_MS = 1500;

const HANDLER = `async (request, origin) => {
  const r = await fetch(origin + '/api');
  return new Response(await r.text(), { headers: { 'content-type': 'application/json' } });
}`;

const WORKERS = {
  plain: `const handle = ${HANDLER};
export default { fetch: (request, env) => handle(request, env.ORIGIN_URL) };`,
  tracelet: `import { instrument } from './tracelet-cloudflare.js';
const handle = ${HANDLER};
export default instrument({ fetch: (request, env) => handle(request, env.ORIGIN_URL) }, (env) => ({ serviceName: 'bench-workerd', endpoint: env.OTLP }));`,
  otelcf: `import { instrument } from '@microlabs/otel-cf-workers';
const handle = ${HANDLER};
export default instrument({ fetch: (request, env) => handle(request, env.ORIGIN_URL) }, (env) => ({ exporter: { url: env.OTLP }, service: { name: 'bench-otel-cf-workers' } }));`,
};

const OTEL_CF = '@microlabs/otel-cf-workers@1.0.0-rc.52';
const OTEL_CF_DIR = join(OUT, 'otel-cf-workers');

/** Installs otel-cf-workers apart from the project and bundles the worker; the bundle's text, or an Error. */
async function buildOtelCfWorker() {
  try {
    if (!existsSync(join(OTEL_CF_DIR, 'node_modules/@microlabs/otel-cf-workers'))) {
      await mkdir(OTEL_CF_DIR, { recursive: true });
      await writeFile(join(OTEL_CF_DIR, 'package.json'), '{"name":"bench-otel-cf-workers","private":true}\n');
      const code = await new Promise((done) => {
        // semantic-conventions pinned: releases after 1.34 dropped ATTR_FAAS_TIME, which it imports.
        const p = spawn('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', OTEL_CF, '@opentelemetry/semantic-conventions@1.34.0'], { cwd: OTEL_CF_DIR, stdio: 'ignore' });
        p.on('exit', done);
        p.on('error', () => done(-1));
      });
      if (code !== 0) throw new Error(`npm install ${OTEL_CF} failed (${code})`);
    }
    const entry = join(OTEL_CF_DIR, 'worker-entry.js');
    await writeFile(entry, WORKERS.otelcf);
    const bundle = await rollup({
      input: entry,
      external: (id) => id.startsWith('node:') || id.startsWith('cloudflare:'),
      plugins: [nodeResolve({ browser: true, rootDir: OTEL_CF_DIR, exportConditions: ['workerd', 'worker', 'browser'] }), commonjs()],
      onwarn: () => {},
    });
    const { output } = await bundle.generate({ format: 'es' });
    await bundle.close();
    return output[0].code;
  } catch (e) {
    return e instanceof Error ? e : new Error(String(e));
  }
}

const DENO_SERVERS = {
  plain: `const handle = ${HANDLER};
const origin = Deno.env.get('ORIGIN');
Deno.serve({ hostname: '127.0.0.1', port: Number(Deno.env.get('PORT')), onListen() {} }, (req) => handle(req, origin));`,
  tracelet: `import { serve } from './tracelet-deno.js';
const handle = ${HANDLER};
const origin = Deno.env.get('ORIGIN');
serve({ serviceName: 'bench-deno', endpoint: Deno.env.get('OTLP') }, (req) => handle(req, origin), { hostname: '127.0.0.1', port: Number(Deno.env.get('PORT')), onListen() {} });`,
  // Like for like with OTEL_DENO, which sends no Server-Timing: the same spans, no header added.
  'tracelet-nost': `import { serve } from './tracelet-deno.js';
const handle = ${HANDLER};
const origin = Deno.env.get('ORIGIN');
serve({ serviceName: 'bench-deno', endpoint: Deno.env.get('OTLP'), serverTiming: false }, (req) => handle(req, origin), { hostname: '127.0.0.1', port: Number(Deno.env.get('PORT')), onListen() {} });`,
};

function capnp(port, originUrl, otlp, flags = '"nodejs_als"') {
  return `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    (name = "internet", network = (allow = ["local"])),
  ],
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "main")],
);
const worker :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "worker.js"),
    (name = "tracelet-cloudflare.js", esModule = embed "tracelet-cloudflare.js"),
  ],
  compatibilityDate = "2025-09-01",
  compatibilityFlags = [${flags}],
  bindings = [(name = "ORIGIN_URL", text = "${originUrl}"), (name = "OTLP", text = "${otlp}")],
);
`;
}

function freePort() {
  return new Promise((done, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => done(port));
    });
  });
}

const TICK_MS = 10; // USER_HZ is 100 on Linux
function cpuMs(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[11]) + Number(rest[12])) * TICK_MS; // utime + stime
}
function rssKiB(pid) {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
}

/** Spawns the runtime pinned to core 1 (never through a shell); stop() ends it and only it. */
function startRuntime(cmd, args, opts) {
  const pinned = existsSync('/usr/bin/taskset');
  const child = spawn(pinned ? '/usr/bin/taskset' : cmd, pinned ? ['-c', '1', cmd, ...args] : args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise((r) => child.once('exit', r));
  return {
    pid: child.pid,
    output: () => out,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(t);
    },
  };
}

async function firstOk(url, proc, t0, timeoutMs = 20_000) {
  while (Date.now() - t0 < timeoutMs) {
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await r.arrayBuffer();
      if (r.ok) return Date.now() - t0;
    } catch {}
    await sleep(5);
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms:\n${proc.output()}`);
}

async function measure(start, url, receiver) {
  const t0 = Date.now();
  const proc = await start();
  try {
    const cold = await firstOk(url, proc, t0);
    let cpu0 = 0, rss0 = 0, spans0 = 0, posts0 = 0, bytes0 = 0;
    const snap = () => {
      const posts = receiver.state.requests.filter((q) => q.method === 'POST');
      return { spans: receiver.state.spans, posts: posts.length, bytes: posts.reduce((s, q) => s + q.bytes, 0) };
    };
    let cpu1 = 0, rss1 = 0;
    const r = await load({
      url,
      durationMs: DURATION_MS,
      warmupMs: WARMUP_MS,
      onWindow: async (edge) => {
        if (edge === 'start') {
          cpu0 = cpuMs(proc.pid);
          rss0 = rssKiB(proc.pid);
          ({ spans: spans0, posts: posts0, bytes: bytes0 } = snap());
        } else {
          cpu1 = cpuMs(proc.pid);
          rss1 = rssKiB(proc.pid);
        }
      },
    });
    await sleep(1500); // let the last exports land
    const s = snap();
    return {
      ...r,
      cold,
      cpuPerReq: (cpu1 - cpu0) / r.requests,
      rssGrowthKiB: rss1 - rss0,
      spansPerReq: (s.spans - spans0) / r.requests,
      exportsPerReq: (s.posts - posts0) / r.requests,
      bytesPerReq: (s.bytes - bytes0) / r.requests,
    };
  } finally {
    await proc.stop();
  }
}

const USAGE = `node bench/edge.mjs [--runtime workerd|deno] [--rounds N]
  --runtime  measure one runtime only (default both)
  --rounds   rounds per variant, the median reported (default 2, BENCH_QUICK=1 the same)`;

/** Options from the command line, read only when this file is run alone (bench/run.mjs has its own --only). */
function cliOptions() {
  if (!isMain(import.meta.url)) return {};
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    process.exit(0);
  }
  const value = (name) => {
    const i = argv.findIndex((a) => a === name || a.startsWith(name + '='));
    if (i < 0) return undefined;
    return argv[i].includes('=') ? argv[i].slice(name.length + 1) : argv[i + 1];
  };
  const runtime = value('--runtime');
  const rounds = value('--rounds');
  if ((runtime !== undefined && runtime !== 'workerd' && runtime !== 'deno') || (rounds !== undefined && !(Number(rounds) >= 1))) {
    console.error(USAGE);
    process.exit(2);
  }
  return { runtime, rounds: rounds === undefined ? undefined : Math.floor(Number(rounds)) };
}

export async function run({ runtime: only, rounds } = cliOptions()) {
  const files = ['dist/cloudflare.js', 'dist/deno.js'].filter((f) => !existsSync(join(ROOT, f)));
  if (files.length) {
    const why = `${files.join(', ')} missing: edge not measured`;
    return { name: 'edge', text: `== 7. Edge overhead ==\n${why}`, md: `### 7. Edge overhead\n\n${why}.`, headline: [['edge', 'not measured', '', '', '']], data: {} };
  }
  const { startHttpServer } = await loadSupport();
  await rm(DIR, { recursive: true, force: true });
  await mkdir(DIR, { recursive: true });
  await copyFile(join(ROOT, 'dist/cloudflare.js'), join(DIR, 'tracelet-cloudflare.js'));
  await copyFile(join(ROOT, 'dist/deno.js'), join(DIR, 'tracelet-deno.js'));
  const origin = await startHttpServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'));
  const receiver = await startBenchReceiver();
  const R = rounds ?? runs(2);
  const otelCf = only === 'deno' ? new Error('not asked for (--runtime deno)') : await buildOtelCfWorker();
  const variants = {
    workerd: otelCf instanceof Error ? ['plain', 'tracelet'] : ['plain', 'tracelet', 'otelcf'],
    deno: ['plain', 'tracelet', 'tracelet-nost', 'builtin'],
  };
  if (only) for (const k of Object.keys(variants)) if (k !== only) delete variants[k];
  const res = {};
  try {
    await withDeadline('edge', Math.max(300_000, R * 150_000), async () => {
      for (let r = 0; r < R; r++) {
        for (const [runtime, list] of Object.entries(variants)) {
          for (const v of r % 2 ? [...list].reverse() : list) {
            const port = await freePort();
            const url = `http://127.0.0.1:${port}/`;
            const dir = join(DIR, `${runtime}-${v}`);
            await mkdir(dir, { recursive: true });
            let start;
            if (runtime === 'workerd') {
              await writeFile(join(dir, 'worker.js'), v === 'otelcf' ? otelCf : WORKERS[v]);
              await copyFile(join(DIR, 'tracelet-cloudflare.js'), join(dir, 'tracelet-cloudflare.js'));
              // otel-cf-workers needs node:buffer and node:events as well: nodejs_compat.
              await writeFile(join(dir, 'config.capnp'), capnp(port, origin.url, receiver.url, v === 'otelcf' ? '"nodejs_compat"' : '"nodejs_als"'));
              start = async () => startRuntime(WORKERD, ['serve', 'config.capnp'], { cwd: dir });
            } else {
              await writeFile(join(dir, 'server.js'), DENO_SERVERS[v === 'builtin' ? 'plain' : v]);
              await copyFile(join(DIR, 'tracelet-deno.js'), join(dir, 'tracelet-deno.js'));
              const env = { ...process.env, NO_COLOR: '1', PORT: String(port), ORIGIN: origin.url, OTLP: receiver.url, DENO_DIR: join(DIR, 'deno-dir') };
              if (v === 'builtin') Object.assign(env, { OTEL_DENO: 'true', OTEL_SERVICE_NAME: 'bench-deno-builtin', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.origin });
              start = async () => startRuntime(DENO, ['run', '--allow-net', '--allow-env', 'server.js'], { cwd: dir, env });
            }
            (res[`${runtime}:${v}`] ??= []).push(await measure(start, url, receiver));
            receiver.reset();
          }
        }
      }
    });
  } finally {
    await Promise.all([origin.close(), receiver.close()]);
  }
  const LABEL = { plain: 'plain', tracelet: 'tracelet', 'tracelet-nost': 'tracelet, serverTiming: false', builtin: 'OTEL_DENO=true (built-in)', otelcf: OTEL_CF };
  const rows = [['runtime / variant', 'req/s', 'vs plain', 'p50 ms', 'p99 ms', 'CPU ms/req', 'added CPU ms/req', 'RSS growth KiB', 'cold start ms', 'spans/req', 'exports/req', 'export B/req']];
  const m = {};
  for (const [runtime, list] of Object.entries(variants)) {
    for (const v of list) {
      const xs = res[`${runtime}:${v}`];
      const md = (f) => median(xs.map((x) => x[f]));
      m[`${runtime}:${v}`] = { rps: md('rps'), cpu: md('cpuPerReq'), p50: md('p50'), p99: md('p99') };
    }
    for (const v of list) {
      const xs = res[`${runtime}:${v}`];
      const md = (f) => median(xs.map((x) => x[f]));
      const plain = m[`${runtime}:plain`];
      rows.push([`${runtime} / ${LABEL[v]}`, fmt(md('rps')), fmtRatio(ratio(md('rps'), plain.rps)), fmt(md('p50'), 2), fmt(md('p99'), 2), fmt(md('cpuPerReq'), 3),
        v === 'plain' ? '' : fmt(md('cpuPerReq') - plain.cpu, 3), fmt(md('rssGrowthKiB')), fmt(md('cold')),
        v === 'plain' ? '' : v === 'builtin' ? '(protobuf)' : fmt(md('spansPerReq'), 2), v === 'plain' ? '' : fmt(md('exportsPerReq'), 3), v === 'plain' ? '' : fmt(md('bytesPerReq'))]);
    }
  }
  const notes = [
    `${R} rounds per variant (median), each ${WARMUP_MS / 1000} s warm-up + ${DURATION_MS / 1000} s measured with 16 keep-alive connections; the runtime pinned to CPU 1 with taskset, the load generator, origin and receiver in node on the same 2-core machine (so absolute req/s are bounded by the client as well).`,
    'CPU ms/req from the runtime process’s utime+stime (10 ms ticks) over the measured window. Cold start: spawn → first 200 (polled every 5 ms).',
    only === 'deno'
      ? 'Deno only (--runtime deno).'
      : otelCf instanceof Error
      ? `${OTEL_CF}: not measured (${otelCf.message}). Field notes, same kind of machine: 0.9.1 / 1.0.0-rc.52 at 0.38× / 0.32× of plain workerd throughput, +0.17 / +0.23 ms CPU per request, memory growing 6–8 KB per request.`
      : `${OTEL_CF} installed apart (bench/out/otel-cf-workers) and bundled with rollup, run with nodejs_compat.`,
  ];
  if (m['deno:builtin'] && m['deno:tracelet']) {
    const added = (v) => m[`deno:${v}`].cpu - m['deno:plain'].cpu;
    notes.push(`Deno: tracelet's added CPU per request is ${fmtRatio(ratio(added('tracelet'), added('builtin')))} of OTEL_DENO's (+${fmt(added('tracelet'), 3)} vs +${fmt(added('builtin'), 3)} ms), this run's medians; like for like (OTEL_DENO adds no Server-Timing header), with serverTiming: false, ${fmtRatio(ratio(added('tracelet-nost'), added('builtin')))} (+${fmt(added('tracelet-nost'), 3)} ms).`);
  }
  const text = ['== 7. Edge overhead ==', table(rows), ...notes].join('\n');
  const mdOut = ['### 7. Edge overhead', '', mdTable(rows), '', ...notes.map((n) => '- ' + n)].join('\n');
  const w = (k) => m[k] ?? {};
  const headline = [
    ['workerd: req/s vs plain', `${fmtRatio(ratio(w('workerd:tracelet').rps, w('workerd:plain').rps))} (+${fmt(w('workerd:tracelet').cpu - w('workerd:plain').cpu, 3)} ms CPU)`,
      otelCf instanceof Error ? 'otel-cf-workers: not measured' : `otel-cf-workers: ${fmtRatio(ratio(w('workerd:otelcf').rps, w('workerd:plain').rps))} (+${fmt(w('workerd:otelcf').cpu - w('workerd:plain').cpu, 3)} ms CPU)`,
      otelCf instanceof Error ? '' : `added CPU ${fmtRatio(ratio(w('workerd:tracelet').cpu - w('workerd:plain').cpu, w('workerd:otelcf').cpu - w('workerd:plain').cpu))} of otel-cf-workers'`, ''],
    ['Deno: req/s vs plain', `${fmtRatio(ratio(w('deno:tracelet').rps, w('deno:plain').rps))} (+${fmt(w('deno:tracelet').cpu - w('deno:plain').cpu, 3)} ms CPU)`,
      `OTEL_DENO: ${fmtRatio(ratio(w('deno:builtin').rps, w('deno:plain').rps))} (+${fmt(w('deno:builtin').cpu - w('deno:plain').cpu, 3)} ms CPU)`,
      fmtRatio(ratio(w('deno:tracelet').rps, w('deno:builtin').rps)),
      `added CPU ${fmtRatio(ratio(w('deno:tracelet').cpu - w('deno:plain').cpu, w('deno:builtin').cpu - w('deno:plain').cpu))} of OTEL_DENO's`],
  ];
  return { name: 'edge', text, md: mdOut, headline, data: { medians: m, runs: res } };
}

await main(import.meta.url, run);
