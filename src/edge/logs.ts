import { trace } from '@opentelemetry/api';
import { encodeResource } from '../core/otlp';
import { encodeLogRecord, encodeLogs, formatMessage, type ConsoleLevel } from '../core/otlpLogs';
import type { Transport } from '../core/transport';
import type { EdgeConfig } from './config';
import { agentOf, edgeContext } from './context';
import type { Attributes } from '@opentelemetry/api';

/*
 * `logs: true`: console output inside a traced handler also goes to `/v1/logs` as OTLP
 * log records carrying the request's trace and span ids. The console prints exactly as
 * before (the original method runs first, with the same arguments and `this`).
 */

const LEVELS: readonly ConsoleLevel[] = ['debug', 'log', 'info', 'warn', 'error'];

/** An agent's log records, bounded like its spans and sent next to them. */
export class LogExporter {
  private records: string[] = [];
  private inFlight: Promise<void> | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  dropped = 0;
  exported = 0;
  private readonly resource: string;

  constructor(
    private readonly config: EdgeConfig,
    resource: Attributes,
    private readonly timers: boolean,
    private readonly transport: Transport,
  ) {
    this.resource = encodeResource(resource);
  }

  add(level: ConsoleLevel, args: unknown[]): void {
    if (this.records.length >= this.config.maxQueueSize) {
      this.dropped++;
      return;
    }
    const sc = trace.getSpanContext(edgeContext.active());
    this.records.push(encodeLogRecord({ timeMs: Date.now(), level, message: formatMessage(args), traceId: sc?.traceId, spanId: sc?.spanId, sampled: !!(sc && sc.traceFlags & 1) }));
    if (this.timers && this.timer === undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        void this.flush();
      }, this.config.scheduledDelayMillis);
    }
  }

  get busy(): boolean {
    return this.inFlight !== undefined;
  }

  /** Sends what is buffered, a batch at a time; resolves (never rejects) when answered. */
  async flush(): Promise<void> {
    while (this.inFlight) await this.inFlight;
    while (this.records.length) {
      const batch = this.records.splice(0, this.config.maxExportBatchSize);
      this.inFlight = this.transport
        .send(encodeLogs(this.resource, batch))
        .then((r) => {
          if (r.kind === 'ok') this.exported += batch.length;
          else this.dropped += batch.length; // logs are not retried: a stuck collector must not hold them
        })
        .catch(() => {
          this.dropped += batch.length;
        })
        .finally(() => (this.inFlight = undefined));
      await this.inFlight;
    }
  }
}

let installed = false;

/** Wraps console's five methods once per isolate; only calls inside an agent's event with `logs` on are exported. */
export function installConsole(): void {
  if (installed || typeof console !== 'object') return;
  installed = true;
  for (const level of LEVELS) {
    const original = console[level];
    if (typeof original !== 'function') continue;
    console[level] = function (this: unknown, ...args: unknown[]) {
      const result = original.apply(this, args);
      try {
        agentOf(edgeContext.active())?.logs?.add(level, args);
      } catch {
        // Logging must never fail the handler.
      }
      return result;
    } as typeof original;
  }
}
