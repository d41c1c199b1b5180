import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';

const now = () => Date.now();

/**
 * A token bucket: `perSecond` tokens a second, holding at most `burst` (default one
 * second's worth, at least 1), so requests that come in bursts are not undersampled. It
 * starts with `initial` tokens (default 1, not a full bucket: a fresh isolate does not
 * begin with a burst; a page that loads may want a full one).
 * Time comes from `clock` (ms, default Date.now); in workerd it stands still while a
 * request computes and moves on with I/O, which is all a rate needs.
 */
export class RateLimiter {
  private balance: number;
  private last: number;
  private readonly clock: () => number;
  readonly burst: number;

  constructor(
    readonly perSecond: number,
    { burst, initial, clock = now }: { burst?: number; initial?: number; clock?: () => number } = {},
  ) {
    this.burst = burst ?? Math.max(1, perSecond);
    this.clock = clock;
    this.balance = Math.min(initial ?? 1, this.burst);
    this.last = clock();
  }

  /** Takes a token: true while within the rate. */
  take(): boolean {
    const t = this.clock();
    // A clock that goes back (a page restored from the bfcache) adds nothing.
    if (t > this.last) this.balance = Math.min(this.burst, this.balance + ((t - this.last) * this.perSecond) / 1000);
    this.last = t;
    // NaN-proof: a clock that returns garbage lets nothing through rather than everything.
    if (!(this.balance >= 1)) return false;
    this.balance -= 1;
    return true;
  }
}

/**
 * A root decision `sample` with at most `limiter`'s rate of yeses: a trace the ratio
 * samples beyond the rate is unsampled and `onLimited` counts it. (The edge's
 * `maxTracesPerSecond`; decisions that follow a parent never come here.)
 */
export function rateLimitedRoot(sample: (traceId: string) => boolean, limiter: RateLimiter, onLimited: () => void): (traceId: string) => boolean {
  return (traceId) => {
    if (!sample(traceId)) return false;
    if (limiter.take()) return true;
    onLimited();
    return false;
  };
}

/**
 * A per-page span rate limit for the browser: sampled spans that end beyond `limiter`'s
 * rate are not handed to `inner` (so never exported) and `onDropped` counts them. What
 * was propagated stays as it was: the limit sheds data, not decisions.
 */
export class RateLimitedSpanProcessor implements SpanProcessor {
  constructor(
    private readonly inner: SpanProcessor,
    private readonly limiter: RateLimiter,
    private readonly onDropped: () => void,
  ) {}

  onStart(span: Span, parent: Context): void {
    this.inner.onStart(span, parent);
  }

  onEnd(span: ReadableSpan): void {
    if (!(span.spanContext().traceFlags & 1)) return;
    if (this.limiter.take()) this.inner.onEnd(span);
    else this.onDropped();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}
