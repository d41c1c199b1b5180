import type { Attributes } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { msToNanos, randomHex } from './ids';
import { BodyBuilder, encodeAttributes, encodeResource, encodeScope, encodeSpan, utf8Length, type EncodedSpan, type UrlRedactor } from './otlp';
import { BoundedQueue } from './queue';
import { DropCounter, type DropReason, type Stats } from './stats';
import type { SendOutcome, Transport } from './transport';

/** Browsers cap the body of beacons and keepalive fetches in flight at 64 KiB; leave room for headers. */
export const MAX_BATCH_BYTES = 60 * 1024;
/**
 * An export unanswered this long counts as a network failure and is retried, so one request
 * that never settles cannot stop every later export and `flush()`: WebKit never settles a
 * keepalive fetch left in flight when a page is restored from its bfcache (issue 16, bug 1).
 */
export const EXPORT_TIMEOUT_MS = 30_000;

export interface PipelineOptions {
  /** A function is called once, when the first span is encoded (its resource may be costly to learn). */
  resource: Attributes | (() => Attributes);
  transport: Transport;
  maxQueueSize: number;
  maxExportBatchSize: number;
  scheduledDelayMillis: number;
  /**
   * False: no timers; only `flush()` sends. For Cloudflare Workers, where a timer dies with
   * the request that set it and every export must run inside `waitUntil`. Default true.
   */
  timers?: boolean;
  maxBatchBytes?: number;
  /** Attempts after the first for a retryable failure. Default 5. */
  maxRetries?: number;
  /** Applied to URL-valued attributes as spans are encoded. */
  redactUrl?: UrlRedactor;
  /** Most spans the next export may carry, when below maxExportBatchSize (`drain` ignores it). */
  sendLimit?: () => number;
  /** Default EXPORT_TIMEOUT_MS. */
  exportTimeoutMillis?: number;
}

export type { EncodedSpan };

/** Encoded spans ready to send, with their body. */
export interface Batch {
  items: EncodedSpan[];
  body: string;
  /** Drop counts reported by the `tracelet.dropped` span inside this batch. */
  report?: Partial<Record<DropReason, number>>;
  attempt: number;
  notBefore: number;
}

const SCOPE_TRACELET = encodeScope({ name: 'tracelet' });

/**
 * Bounded queue → byte-sized batches → transport, with retries. One request in flight
 * at a time; no timer runs while nothing waits. Runtime-neutral: the browser adds the
 * page-exit path on top of `drain()`, the edge awaits `flush()` inside waitUntil.
 */
export class ExportPipeline {
  readonly drops = new DropCounter();
  private readonly queue: BoundedQueue<ReadableSpan>;
  private readonly retries: Batch[] = [];
  private resourceJson: string | undefined;
  private readonly maxBatchBytes: number;
  private readonly maxRetries: number;
  private inFlight: Promise<void> | undefined;
  /** The batch of the export in flight. */
  private current: Batch | undefined;
  /** Spans in the request in flight: neither queued nor settled yet. */
  private sending = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timerAt = 0;
  private exported = 0;
  private stopped = false;

  constructor(private readonly opts: PipelineOptions) {
    this.queue = new BoundedQueue(opts.maxQueueSize);
    if (typeof opts.resource !== 'function') this.resourceJson = encodeResource(opts.resource);
    this.maxBatchBytes = opts.maxBatchBytes ?? MAX_BATCH_BYTES;
    this.maxRetries = opts.maxRetries ?? 5;
  }

  /** True while an export request is in flight (its `flush()` caller sends what queued meanwhile). */
  get busy(): boolean {
    return this.inFlight !== undefined;
  }

  /** Spans encoded from now on belong to this resource (a browser session renewed, say). */
  setResource(resource: Attributes): void {
    this.resourceJson = encodeResource(resource);
  }

  private get resource(): string {
    return (this.resourceJson ??= encodeResource((this.opts.resource as () => Attributes)()));
  }

  stats(): Stats {
    return { exported: this.exported, dropped: { ...this.drops.total }, queued: this.queue.size + this.retryingSpans() + this.sending };
  }

  private retryingSpans(): number {
    let n = 0;
    for (const b of this.retries) n += this.spansIn(b);
    return n;
  }

  enqueue(span: ReadableSpan): void {
    if (this.stopped || this.queue.size + this.retryingSpans() + this.sending >= this.opts.maxQueueSize || !this.queue.push(span)) {
      this.drops.add(this.stopped ? 'shutdown' : 'queue_full');
      return;
    }
    // The hot path: with a timer already armed there is nothing to decide.
    if (this.queue.size >= this.opts.maxExportBatchSize) this.schedule(0);
    else if (this.timer === undefined) this.schedule(this.opts.scheduledDelayMillis);
  }

  /** Arms the timer to fire within `delay` ms unless it already fires sooner. */
  private schedule(delay: number): void {
    if (this.stopped || this.opts.timers === false) return;
    const at = Date.now() + delay;
    if (this.timer !== undefined) {
      if (this.timerAt <= at) return;
      clearTimeout(this.timer);
    }
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.exportNext().catch(() => {});
    }, delay);
  }

  private encodeInto(builder: BodyBuilder, item: EncodedSpan): boolean {
    const cost = builder.cost(item);
    if (builder.bytes + cost > this.maxBatchBytes) return false;
    builder.add(item, cost);
    return true;
  }

  /** The last scope encoded: a tracer's scope object is shared by all its spans. */
  private scopeOf: ReadableSpan['instrumentationScope'] | undefined;
  private scopeJson = '';

  private encodeQueued(span: ReadableSpan): EncodedSpan | undefined {
    try {
      const scope = span.instrumentationScope;
      if (scope !== this.scopeOf || !scope) {
        this.scopeJson = encodeScope(scope);
        this.scopeOf = scope;
      }
      return { resource: this.resource, scope: this.scopeJson, span: encodeSpan(span, this.opts.redactUrl) };
    } catch {
      return undefined;
    }
  }

  /**
   * Takes spans off the queue into one batch of at most `limit` spans and maxBatchBytes.
   * They leave the queue only once the batch is whole: a script cut short here (see
   * `drain`) leaves them queued for the next try.
   */
  private nextBatch(limit = this.opts.maxExportBatchSize): Batch | undefined {
    const builder = new BodyBuilder();
    const items: EncodedSpan[] = [];
    let taken = 0;
    let failed = 0;
    let tooLarge = 0;
    while (this.queue.size > taken && builder.count < limit) {
      const item = this.encodeQueued(this.queue.peek(taken)!);
      if (!item) {
        taken++;
        failed++;
        continue;
      }
      if (!this.encodeInto(builder, item)) {
        if (builder.count) break;
        // Alone it still does not fit: it never will.
        taken++;
        tooLarge++;
        continue;
      }
      taken++;
      items.push(item);
    }
    this.queue.drop(taken);
    if (failed) this.drops.add('export_failed', failed);
    if (tooLarge) this.drops.add('too_large', tooLarge);
    // Drop counts ride along when they fit; otherwise they wait for the next batch.
    const report = this.drops.takeUnreported();
    if (report) {
      const reportSpan = { resource: this.resource, scope: SCOPE_TRACELET, span: encodeDropReport(report) };
      if ((items.length || this.retries.length === 0) && this.encodeInto(builder, reportSpan)) {
        items.push(reportSpan);
        return { items, body: builder.build(), report, attempt: 0, notBefore: 0 };
      }
      this.drops.restore(report);
    }
    if (items.length === 0) return undefined;
    return { items, body: builder.build(), attempt: 0, notBefore: 0 };
  }

  /** Rebuilds a batch from encoded spans (after a split, or from storage). */
  private batchOf(items: EncodedSpan[], attempt = 0): Batch {
    const builder = new BodyBuilder();
    for (const item of items) builder.add(item);
    return { items, body: builder.build(), attempt, notBefore: 0 };
  }

  /** The first `n` spans and the rest, as two batches; the report span (the last item) goes with the rest. */
  private splitAt(batch: Batch, n: number): [Batch, Batch] {
    const rest = this.batchOf(batch.items.slice(n), batch.attempt);
    rest.report = batch.report;
    return [this.batchOf(batch.items.slice(0, n), batch.attempt), rest];
  }

  /**
   * The part of a batch whose body fits in `bytes`, and the rest: at page exit the browser
   * takes only what its budget has left, and the spans that fit should still leave.
   */
  cut(batch: Batch, bytes: number): [Batch | undefined, Batch | undefined] {
    if (utf8Length(batch.body) <= bytes) return [batch, undefined];
    const builder = new BodyBuilder();
    let n = 0;
    for (const item of batch.items) {
      const cost = builder.cost(item);
      if (builder.bytes + cost > bytes) break;
      builder.add(item, cost);
      n++;
    }
    return n ? this.splitAt(batch, n) : [undefined, batch];
  }

  private spansIn(batch: Batch): number {
    return batch.items.length - (batch.report ? 1 : 0);
  }

  private settle(batch: Batch, outcome: SendOutcome): void {
    const n = this.spansIn(batch);
    switch (outcome.kind) {
      case 'ok':
        this.exported += n;
        return;
      case 'too_large': {
        if (batch.items.length === 1) {
          this.drops.add('too_large', n);
          if (batch.report) this.drops.restore(batch.report);
          return;
        }
        this.retries.unshift(...this.splitAt(batch, Math.ceil(batch.items.length / 2)));
        return;
      }
      case 'retry':
        if (batch.attempt < this.maxRetries) {
          batch.attempt++;
          // Exponential backoff with jitter, never sooner than Retry-After asks.
          const backoff = Math.min(30_000, 1000 * 2 ** (batch.attempt - 1)) * (0.5 + Math.random() / 2);
          batch.notBefore = Date.now() + Math.min(300_000, Math.max(backoff, outcome.afterMs ?? 0));
          this.retries.push(batch);
          return;
        }
        break; // retries ran out
    }
    // Rejected, or retried in vain: retrying cannot help.
    this.drops.add('export_failed', n);
    if (batch.report) this.drops.restore(batch.report);
  }

  /** The next batch due now: a retry whose wait is over, else fresh spans. */
  private due(now: number, ignoreBackoff: boolean): Batch | undefined {
    const i = this.retries.findIndex((b) => ignoreBackoff || b.notBefore <= now);
    if (i >= 0) return this.retries.splice(i, 1)[0];
    return this.holdsFresh() ? undefined : this.nextBatch(this.limit());
  }

  private limit(): number {
    return Math.min(this.opts.maxExportBatchSize, this.opts.sendLimit?.() ?? Infinity);
  }

  /**
   * Under a send limit, fresh spans wait while an earlier batch waits to be retried: one
   * span per request must not become one failing request per span.
   */
  private holdsFresh(): boolean {
    return this.retries.length > 0 && this.limit() < this.opts.maxExportBatchSize;
  }

  private exportNext(ignoreBackoff = false): Promise<void> {
    if (this.inFlight) return this.inFlight;
    const batch = this.due(Date.now(), ignoreBackoff);
    if (!batch) {
      this.rearm();
      return Promise.resolve();
    }
    this.sending = this.spansIn(batch);
    this.current = batch;
    const p = withTimeout(this.opts.transport.send(batch.body), this.opts.exportTimeoutMillis ?? EXPORT_TIMEOUT_MS)
      .catch((): SendOutcome => ({ kind: 'retry' }))
      .then((outcome) => {
        // Unless the exit path took it (takeInFlight): then its fate is theirs.
        if (this.current === batch) {
          this.sending = 0;
          this.settle(batch, outcome);
        }
        this.current = undefined;
        this.inFlight = undefined;
        this.rearm();
      });
    this.inFlight = p;
    return p;
  }

  /** After an export: go on at once while a full batch waits, else when the next thing is due; idle, no timer. */
  private rearm(): void {
    if (this.inFlight) return;
    const fresh = this.queue.size && !this.holdsFresh();
    if (fresh && this.queue.size >= this.opts.maxExportBatchSize) return this.schedule(0);
    let next = Infinity;
    if (fresh) next = this.opts.scheduledDelayMillis;
    for (const b of this.retries) next = Math.min(next, Math.max(0, b.notBefore - Date.now()));
    if (next !== Infinity) return this.schedule(next);
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /**
   * Sends everything queued now and resolves when each request has been answered
   * (or failed). Batches waiting out a Retry-After are left for their turn.
   */
  async flush(): Promise<void> {
    for (let guard = 0; guard < 10_000; guard++) {
      if (this.inFlight) {
        await this.inFlight;
        continue;
      }
      const now = Date.now();
      if ((!this.queue.size || this.holdsFresh()) && !this.retries.some((b) => b.notBefore <= now)) return;
      await this.exportNext();
    }
  }

  /**
   * The batch of the export in flight, handed over to the caller (its outcome is then
   * ignored): for a page being left while that export cannot survive it.
   */
  takeInFlight(): Batch | undefined {
    const b = this.current;
    this.current = undefined;
    this.sending = 0;
    return b;
  }

  /**
   * Takes everything waiting, as batches, synchronously, onto the end of `into`: the
   * page-exit path sends them by beacon or stores them. Each batch lands in `into` as soon
   * as it is made, so a caller that keeps `into` loses nothing when the script is stopped
   * midway (Firefox stops a closing tab's running `pagehide` handler). Spans of a request
   * still in flight are not included.
   */
  drain(into: Batch[] = []): Batch[] {
    into.push(...this.retries.splice(0));
    for (;;) {
      const b = this.nextBatch();
      if (!b) return into;
      into.push(b);
    }
  }

  /** Queues batches for sending again (a beacon the browser refused, a bfcache restore). */
  requeue(batches: Batch[]): void {
    for (const b of batches) {
      b.notBefore = 0;
      this.retries.push(b);
    }
    this.rearm();
  }

  /** Packs encoded spans (from storage) into batches within the limits and queues them. */
  requeueItems(items: EncodedSpan[]): void {
    const batches: Batch[] = [];
    let builder = new BodyBuilder();
    let current: EncodedSpan[] = [];
    const close = () => {
      if (current.length) batches.push({ items: current, body: builder.build(), attempt: 0, notBefore: 0 });
      builder = new BodyBuilder();
      current = [];
    };
    for (const item of items) {
      if (current.length >= this.opts.maxExportBatchSize || !this.encodeInto(builder, item)) {
        close();
        if (!this.encodeInto(builder, item)) {
          this.drops.add('too_large');
          continue;
        }
      }
      current.push(item);
    }
    close();
    this.requeue(batches);
  }

  /** Records a batch's outcome when it was sent outside the pipeline (a beacon). */
  settleExternal(batch: Batch, outcome: SendOutcome): void {
    this.settle(batch, outcome);
  }

  async shutdown(): Promise<void> {
    await this.flush();
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.drops.add('shutdown', this.queue.size + this.retryingSpans());
    this.queue.take(this.queue.size);
    this.retries.length = 0;
  }
}

/** `send`, or a network failure once `ms` have passed without it settling (a late answer is ignored). */
function withTimeout(send: Promise<SendOutcome>, ms: number): Promise<SendOutcome> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<SendOutcome>((resolve) => (timer = setTimeout(() => resolve({ kind: 'retry', network: true }), ms)));
  return Promise.race([send, late]).finally(() => clearTimeout(timer));
}

/** A `tracelet.dropped` span: how many spans were lost since the last report, by reason. */
export function encodeDropReport(report: Partial<Record<DropReason, number>>): string {
  const attrs: Attributes = {};
  let total = 0;
  for (const k in report) {
    const n = report[k as DropReason] ?? 0;
    attrs['tracelet.dropped.' + k] = n;
    total += n;
  }
  attrs['tracelet.dropped.total'] = total;
  const now = msToNanos(Date.now());
  return '{"traceId":"' + randomHex(16) + '","spanId":"' + randomHex(8) + '","name":"tracelet.dropped","kind":1' +
    ',"startTimeUnixNano":"' + now + '","endTimeUnixNano":"' + now + '"' + encodeAttributes(attrs) + '}';
}
