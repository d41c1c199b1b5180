import type { Tracer } from '@opentelemetry/api';
import type { ConsoleLevel } from '../core/otlpLogs';
import type { Stats } from '../core/stats';
import type { Transport } from '../core/transport';
import type { EdgeConfig } from './config';
import type { Gzip } from './transport';

/** One tracer provider and export pipeline, shared by every request its handler serves. */
export interface EdgeAgent {
  readonly config: EdgeConfig;
  readonly tracer: Tracer;
  /** Sends everything queued; resolves (never rejects) when each export has been answered. */
  flush(): Promise<void>;
  /**
   * `flush()`, unless an export is in flight already: its `flush()` sends what queued
   * meanwhile. For Workers, where awaiting another request's I/O draws a warning from
   * workerd and may lose the continuation.
   */
  flushUnlessBusy(): Promise<void>;
  stats(): Stats;
  shutdown(): Promise<void>;
  /** With `logs: true`: the console records of this agent's events, exported next to its spans. */
  readonly logs?: { add(level: ConsoleLevel, args: unknown[]): void };
}


export interface AgentOptions {
  /** Replaces the OTLP transport (tests). */
  transport?: Transport;
  /** Replaces the OTLP logs transport (tests). */
  logsTransport?: Transport;
  /** False on Workers: exports only from `flush()` inside `waitUntil`, never from a timer. Default true. */
  timers?: boolean;
  /** The runtime's cheaper gzip for exports (Deno: node:zlib); default CompressionStream. */
  gzip?: Gzip;
}
