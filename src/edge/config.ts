import { ConfigError, parseCoreOptions, type CoreConfig, type CoreOptions } from '../core/config';
import { PROPAGATORS, type PropagatorName } from '../core/formats';
import { TIMING_TRACE, TIMING_TRACEPARENT } from '../core/serverTiming';

export function optionalBoolean(o: Record<string, unknown>, key: string, fallback: boolean): boolean {
  const v = o[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'boolean') throw new ConfigError(key, `must be true or false, got ${JSON.stringify(v) ?? typeof v}`);
  return v;
}

/** Options of the edge wrappers (Cloudflare Workers, Deno): the core options plus these. */
export interface EdgeOptions extends CoreOptions {
  /**
   * Adds the edge span's traceparent to every response's Server-Timing, so the browser
   * agent can make its page-load span a child of the edge span: `true` or `'traceparent'`
   * sends `traceparent;desc="00-…"` (what vendors send and read today), `'trace'` the Trace
   * Context Level 3 draft's `trace;desc=00-…`, `'both'` both, `false` none. Default true.
   */
  serverTiming?: boolean | 'traceparent' | 'trace' | 'both';
  /**
   * Export `console.log/info/warn/error/debug` output inside a traced handler as OTLP log
   * records (`/v1/logs` next to the traces endpoint) with the trace and span ids; the
   * console prints as before. Default false.
   */
  logs?: boolean;
  /**
   * Workers: carry the trace into RPC calls on service bindings and Durable Object stubs as
   * one hidden trailing argument, which an instrumented callee removes (see the README).
   * Turn off when calling RPC methods of Workers that tracelet does not wrap. Default true.
   */
  rpcContext?: boolean;
  /**
   * Send the W3C Level 2 `random` flag (`-03`) on the traces tracelet starts, for backends
   * that use it. Default false (`-01`): OpenTelemetry Go before 1.42 rejects flags above
   * 0x02 and starts a new trace. A flag received from a parent is always passed on.
   */
  randomTraceIdFlag?: boolean;
  /**
   * Trace context formats: extracted from a request in this order (W3C first when listed),
   * all injected into outbound calls. `b3` is the single `b3` header, `b3multi` the
   * `X-B3-*` headers (either reads both), `jaeger` is `uber-trace-id`. Default ['tracecontext'].
   */
  propagators?: readonly PropagatorName[];
  /**
   * At most about this many traces a second start sampled here (root decisions; a request
   * with a parent follows it). Those beyond are unsampled (`-00` downstream) and counted as
   * `rate_limited` drops. Default: no limit.
   */
  maxTracesPerSecond?: number;
  /** Records `client.address` (the caller's IP: personal data in many places). Default false. */
  captureClientAddress?: boolean;
  /** The route template of a request (`/users/:id`): becomes `http.route` and the span name. */
  route?: (request: Request) => string | undefined;
  /** Abort an export request after this many ms (Workers cancel `waitUntil` work after 30 s). Default 10000. */
  exportTimeoutMillis?: number;
  /** `gzip` compresses export bodies (about 5× smaller; every OTLP/HTTP receiver must accept it). Default gzip. */
  compression?: 'gzip' | 'none';
}

export interface EdgeConfig extends CoreConfig {
  /** The Server-Timing entry names to send (none: off). */
  serverTiming: readonly string[];
  propagators: readonly PropagatorName[];
  maxTracesPerSecond?: number;
  randomTraceIdFlag: boolean;
  rpcContext: boolean;
  logs: boolean;
  captureClientAddress: boolean;
  route?: (request: Request) => string | undefined;
  exportTimeoutMillis: number;
  compression: 'gzip' | 'none';
}

const SERVER_TIMING: Record<string, readonly string[]> = {
  true: [TIMING_TRACEPARENT],
  traceparent: [TIMING_TRACEPARENT],
  trace: [TIMING_TRACE],
  both: [TIMING_TRACEPARENT, TIMING_TRACE],
  false: [],
};

function serverTimingNames(v: unknown): readonly string[] {
  if (v === undefined || v === null) return SERVER_TIMING.true;
  const names = (typeof v === 'boolean' || typeof v === 'string') && Object.hasOwn(SERVER_TIMING, String(v)) ? SERVER_TIMING[String(v)] : undefined;
  if (!names || v === 'true' || v === 'false') {
    throw new ConfigError('serverTiming', `must be true, false, "traceparent", "trace" or "both", got ${JSON.stringify(v) ?? typeof v}`);
  }
  return names;
}

function maxRate(v: unknown): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || v > 1_000_000) {
    throw new ConfigError('maxTracesPerSecond', `must be a number above 0 and at most 1000000, got ${JSON.stringify(v) ?? typeof v}`);
  }
  return v;
}

const DEFAULT_PROPAGATORS: readonly PropagatorName[] = ['tracecontext'];

function propagatorNames(v: unknown): readonly PropagatorName[] {
  if (v === undefined || v === null) return DEFAULT_PROPAGATORS;
  const known = PROPAGATORS as readonly unknown[];
  if (!Array.isArray(v) || !v.length || !v.every((n) => known.includes(n))) {
    throw new ConfigError('propagators', `must be a non-empty array of ${PROPAGATORS.map((n) => JSON.stringify(n)).join(', ')}, got ${JSON.stringify(v) ?? typeof v}`);
  }
  // W3C first, then the others in the order given, each once.
  const names = [...new Set(v as PropagatorName[])];
  return names.includes('tracecontext') ? ['tracecontext', ...names.filter((n) => n !== 'tracecontext')] : names;
}

/** Validates edge options; throws a ConfigError naming the first bad option. The endpoint must be absolute. */
export function parseEdgeOptions(input: unknown): EdgeConfig {
  const core = parseCoreOptions(input);
  const o = input as Record<string, unknown>;
  const route = o.route;
  if (route !== undefined && route !== null && typeof route !== 'function') {
    throw new ConfigError('route', `must be a function (request) => string | undefined, got ${typeof route}`);
  }
  const timeout = o.exportTimeoutMillis ?? 10_000;
  if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout < 1 || timeout > 600_000) {
    throw new ConfigError('exportTimeoutMillis', `must be a number from 1 to 600000, got ${JSON.stringify(timeout) ?? typeof timeout}`);
  }
  const compression = o.compression ?? 'gzip';
  if (compression !== 'gzip' && compression !== 'none') {
    throw new ConfigError('compression', `must be "gzip" or "none", got ${JSON.stringify(compression) ?? typeof compression}`);
  }
  return {
    ...core,
    serverTiming: serverTimingNames(o.serverTiming),
    propagators: propagatorNames(o.propagators),
    maxTracesPerSecond: maxRate(o.maxTracesPerSecond),
    randomTraceIdFlag: optionalBoolean(o, 'randomTraceIdFlag', false),
    rpcContext: optionalBoolean(o, 'rpcContext', true),
    logs: optionalBoolean(o, 'logs', false),
    captureClientAddress: optionalBoolean(o, 'captureClientAddress', false),
    route: typeof route === 'function' ? (route as EdgeConfig['route']) : undefined,
    exportTimeoutMillis: timeout,
    compression,
  };
}
