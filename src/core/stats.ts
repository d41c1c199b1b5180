/** Why a span never reached the collector. Stable names: they are reported as attributes. */
export type SpanDropReason =
  | 'queue_full' // the bounded queue was full when the span ended
  | 'too_large' // one span is larger than a request may be
  | 'export_failed' // the collector refused it (4xx) or retries ran out
  | 'storage_full' // the unload store was full, oldest entries gave way
  | 'stale' // stored at unload, not sent within a day
  | 'shutdown'; // still queued when the agent was shut down and could not be sent

/**
 * Drop reasons, with `rate_limited`: the edge's root decisions `maxTracesPerSecond` turned
 * unsampled (traces, not spans), or the spans a browser rate limit shed. Counted only
 * once it happens, so `dropped` has the key only when a limit is in use.
 */
export type DropReason = SpanDropReason | 'rate_limited';

export interface Stats {
  /** Spans handed to the network and acknowledged (or sent by beacon). */
  exported: number;
  /** Spans dropped, by reason, since the agent started. */
  dropped: Record<SpanDropReason, number> & { rate_limited?: number };
  /** Spans waiting in memory. */
  queued: number;
}

/** Counts drops and remembers which have not yet been told to the collector. */
export class DropCounter {
  readonly total: Stats['dropped'] = { queue_full: 0, too_large: 0, export_failed: 0, storage_full: 0, stale: 0, shutdown: 0 };
  private unreported: Partial<Record<DropReason, number>> = {};

  add(reason: DropReason, n = 1): void {
    if (n <= 0) return;
    this.total[reason] = (this.total[reason] ?? 0) + n;
    this.unreported[reason] = (this.unreported[reason] ?? 0) + n;
  }

  /** Takes the counts not yet reported; `restore` gives them back if that report fails. */
  takeUnreported(): Partial<Record<DropReason, number>> | undefined {
    const u = this.unreported;
    if (!Object.keys(u).length) return undefined;
    this.unreported = {};
    return u;
  }

  restore(u: Partial<Record<DropReason, number>>): void {
    for (const k in u) {
      const r = k as DropReason;
      this.unreported[r] = (this.unreported[r] ?? 0) + (u[r] ?? 0);
    }
  }
}
