import type { Tracer } from '@opentelemetry/api';
import type { Stats } from '../../core/stats';

export interface Agent {
  /** A tracer whose spans join the page's traces; `trace.getTracer()` works as well. */
  tracer: Tracer;
  /** Sends everything queued; resolves when each request has been answered. */
  flush(): Promise<void>;
  /** Flushes, removes the instrumentation and stops. `init` may be called again afterwards. */
  shutdown(): Promise<void>;
  /** Exported, dropped (by reason) and queued span counts, and errors not recorded as repeats. */
  stats(): Stats & { errorsSuppressed: number };
  /** False when the options were invalid: the agent does nothing. */
  readonly enabled: boolean;
}
