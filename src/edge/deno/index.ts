import { ConfigError, isObject } from '../../core/config';
import { startAgent, type EdgeAgent } from '../agent';
import { optionalBoolean } from '../config';
import { denoGzip } from './gzip';
import type { DenoNamespace, DenoOptions, DenoServer, ServeHandler } from './types';
import { wrapServeHandler } from './wrapServeHandler';

export type { DenoOptions, DenoServer, ServeHandler, ServeHandlerInfo } from './types';

const deno = (globalThis as { Deno?: DenoNamespace }).Deno;

/**
 * True when Deno's built-in OpenTelemetry runs (`OTEL_DENO=true`): it registers its own
 * provider with @opentelemetry/api before any module loads and traces Deno.serve and fetch
 * itself, so a second SDK would duplicate every span. Read without the env permission.
 */
export function builtinTelemetryOn(): boolean {
  const api = (globalThis as Record<symbol, { trace?: unknown } | undefined>)[Symbol.for('opentelemetry.js.api.1')];
  return !!api?.trace && api.trace === deno?.telemetry?.tracerProvider;
}

const agents = new Set<EdgeAgent>();
const servers = new Set<DenoServer>();
const SIGNALS = { SIGINT: 130, SIGTERM: 143 } as const;
const SERVER_SHUTDOWN_MS = 3000;
const FLUSH_MS = 2000;
let signalsHandled = false;
let builtinLogged = false;

/** Sends everything every agent has queued; resolves when the collector has answered. */
export function flush(): Promise<void> {
  return Promise.all([...agents].map((a) => a.flush())).then(() => {});
}

const within = (ms: number, work: Promise<unknown>) =>
  Promise.race([work.catch(() => {}), new Promise((done) => setTimeout(done, ms))]);

function handleSignals(): void {
  if (signalsHandled || !deno) return;
  signalsHandled = true;
  const listeners: [string, () => void][] = [];
  for (const [signal, code] of Object.entries(SIGNALS)) {
    const listener = () => {
      // A second signal meets Deno's default and ends the process at once.
      for (const [s, l] of listeners) deno.removeSignalListener(s, l);
      void within(SERVER_SHUTDOWN_MS, Promise.all([...servers].map((s) => s.shutdown())))
        .then(() => within(FLUSH_MS, flush()))
        .finally(() => deno.exit(code));
    };
    try {
      deno.addSignalListener(signal, listener);
      listeners.push([signal, listener]);
    } catch {
      // Not every platform (Windows, Deploy) lets us listen for every signal.
    }
  }
}

function start(config: DenoOptions): EdgeAgent | undefined {
  let signals: boolean;
  try {
    signals = isObject(config) ? optionalBoolean(config, 'handleSignals', true) : true;
  } catch (e) {
    console.error((e as ConfigError).message);
    return undefined;
  }
  const agent = startAgent(config, { 'process.runtime.name': 'deno', 'process.runtime.version': deno?.version?.deno ?? '' }, { gzip: denoGzip });
  if (!agent) return undefined;
  agents.add(agent);
  if (signals) handleSignals();
  return agent;
}

/**
 * A `Deno.serve` handler with a SERVER span per request; spans are exported in the
 * background. With Deno's built-in OpenTelemetry on, logs one line and returns `handler`.
 */
export function instrument<H extends ServeHandler>(handler: H, config: DenoOptions): H {
  if (builtinTelemetryOn()) {
    if (!builtinLogged) {
      builtinLogged = true;
      console.info("tracelet: Deno's built-in OpenTelemetry is on (OTEL_DENO=true) and traces Deno.serve and fetch; tracelet stays off");
    }
    return handler;
  }
  const agent = start(config);
  if (!agent) return handler;
  return wrapServeHandler(handler, agent);
}

/** `Deno.serve(options, instrument(handler, config))`, flushed when the server shuts down. */
export function serve(config: DenoOptions, handler: ServeHandler, options: object = {}): DenoServer {
  if (!deno) throw new Error('tracelet/deno: serve() needs the Deno runtime');
  const traced = instrument(handler, config);
  const server = deno.serve(options, traced);
  if (traced !== handler) {
    servers.add(server);
    void server.finished.then(() => {
      servers.delete(server);
      return flush();
    });
  }
  return server;
}
