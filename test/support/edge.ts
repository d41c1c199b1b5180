import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { rollup, type RollupOptions } from 'rollup';
import { startHttpServer, type LoopbackServer } from './http';

export const ROOT = resolve(import.meta.dirname, '../..');

/**
 * Bundles one edge entry (`cloudflare` or `deno`) from the current sources with the
 * project's own rollup.edge.mjs settings and writes it into `dir`, so an e2e run never
 * tests a stale dist/ and two test files never write the same file.
 */
export async function buildEdgeBundle(name: 'cloudflare' | 'deno', dir: string): Promise<string> {
  const configs = (await import(resolve(ROOT, 'rollup.edge.mjs'))).default as RollupOptions[];
  const config = configs.find((c) => !Array.isArray(c.output) && c.output?.file === `dist/${name}.js`);
  if (!config || Array.isArray(config.output) || !config.output) throw new Error(`rollup.edge.mjs has no dist/${name}.js entry`);
  const bundle = await rollup({ ...config, onwarn: () => {} });
  try {
    // generate, not write: the typescript plugin insists the output stays inside dist/.
    const { output } = await bundle.generate({ ...config.output, sourcemap: false });
    const file = join(dir, `tracelet-${name}.js`);
    await writeFile(file, output[0].code);
    return file;
  } finally {
    await bundle.close();
  }
}

export async function tempDir(prefix: string): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** A port nobody listens on right now (for runtimes that need one in their config). */
export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => done(port));
    });
  });
}

export interface SeenByOrigin {
  path: string;
  headers: Record<string, string | string[] | undefined>;
}

/** The node origin behind the edge: records every request's headers and answers JSON. */
export async function startOrigin(): Promise<LoopbackServer & { seen: SeenByOrigin[] }> {
  const seen: SeenByOrigin[] = [];
  const server = await startHttpServer((req, res) => {
    seen.push({ path: req.url ?? '', headers: req.headers });
    res.writeHead(200, { 'content-type': 'application/json', 'x-origin': '1' }).end(JSON.stringify({ path: req.url }));
  });
  return Object.assign(server, { seen });
}

export interface RunningProcess {
  child: ChildProcess;
  /** stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  exited: Promise<number | string>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

/** Starts a runtime process (never through a shell) and keeps its output for assertions. */
export function startProcess(command: string, args: string[], opts: { cwd: string; env?: Record<string, string> }): RunningProcess {
  const child = spawn(command, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | string>((done) => {
    child.once('exit', (code, signal) => done(code ?? signal ?? -1));
    child.once('error', (err) => {
      out += `\nspawn error: ${err.message}`;
      done(-1);
    });
  });
  return {
    child,
    output: () => out,
    exited,
    async stop(graceMs = 3000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Polls `url` until it answers (any status) or `timeoutMs` passes; throws with the process output. */
export async function waitForHttp(url: string, proc: RunningProcess, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null) break;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`${url} did not come up within ${timeoutMs} ms; process output:\n${proc.output()}`);
}

/** Polls until `predicate` holds or `timeoutMs` passes. */
export async function waitFor(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const hex = (bytes: number) => {
  const a = new Uint8Array(bytes);
  crypto.getRandomValues(a);
  return Buffer.from(a).toString('hex');
};

/** A fresh incoming trace id and parent span id, as a browser would send them. */
export function incomingParent(flags = '01'): { traceId: string; parentId: string; traceparent: string } {
  const traceId = hex(16);
  const parentId = hex(8);
  return { traceId, parentId, traceparent: `00-${traceId}-${parentId}-${flags}` };
}

/** The traceparent inside `Server-Timing: traceparent;desc="…"`, or undefined. */
export function serverTimingTraceparent(header: string | null): string | undefined {
  return header?.match(/(?:^|,)\s*traceparent\s*;\s*desc="?([0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2})"?/)?.[1];
}

/**
 * OpenTelemetry Go's W3C extract before v1.42.0 (propagation/trace_context.go): the
 * traceparent it continues, or undefined where it starts a new, unconnected trace. Its
 * rule `version == 0 && (extra fields || flags > 2)` rejects every `-03`. (Java, .NET
 * and Python accept any flags byte: only Go has this rule.)
 */
export function otelGoPre142Extract(traceparent: string | undefined): { traceId: string; spanId: string; sampled: boolean } | undefined {
  if (!traceparent) return undefined;
  const parts = traceparent.split('-');
  const part = (s: string | undefined, n: number) => s !== undefined && s.length === n && /^[0-9a-f]+$/.test(s);
  const [ver, traceId, spanId, opts] = parts;
  if (!part(ver, 2) || !part(traceId, 32) || !part(spanId, 16) || !part(opts, 2)) return undefined;
  const version = parseInt(ver, 16);
  if (version > 254) return undefined;
  const flags = parseInt(opts, 16);
  if (version === 0 && (parts.length > 4 || flags > 2)) return undefined;
  if (/^0+$/.test(traceId) || /^0+$/.test(spanId)) return undefined;
  return { traceId, spanId, sampled: (flags & 1) === 1 };
}
