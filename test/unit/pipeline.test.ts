import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AlwaysOnSampler, BasicTracerProvider, type ReadableSpan, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { EXPORT_TIMEOUT_MS, ExportPipeline, MAX_BATCH_BYTES, encodeDropReport, type PipelineOptions } from '../../src/core/pipeline';
import { BodyBuilder, encodeResource, encodeScope, encodeSpan } from '../../src/core/otlp';
import { BoundedQueue } from '../../src/core/queue';
import { DropCounter } from '../../src/core/stats';
import { classifyStatus, fetchTransport, parseRetryAfter, type SendOutcome, type Transport } from '../../src/core/transport';

// ---------------------------------------------------------------- helpers

const ended: ReadableSpan[] = [];
const collector: SpanProcessor = {
  onStart() {},
  onEnd: (s) => void ended.push(s),
  forceFlush: async () => {},
  shutdown: async () => {},
};
const tracer = new BasicTracerProvider({ sampler: new AlwaysOnSampler(), spanProcessors: [collector] }).getTracer('unit', '1.0.0');

let seq = 0;
/** A real ended span named `s<n>`, padded with an attribute of `pad` characters. */
function span(pad = 0): ReadableSpan {
  tracer.startSpan(`s${seq++}`, { attributes: pad ? { pad: 'x'.repeat(pad) } : {} }).end();
  return ended[ended.length - 1];
}

interface KeyValue {
  key: string;
  value: { intValue?: string; stringValue?: string };
}
interface ParsedSpan {
  name: string;
  traceId: string;
  spanId: string;
  attributes?: KeyValue[];
}
interface ParsedBody {
  resourceSpans: { resource: { attributes?: KeyValue[] }; scopeSpans: { scope: { name: string }; spans: ParsedSpan[] }[] }[];
}

function parseBody(body: string): { scope: string; span: ParsedSpan }[] {
  const parsed = JSON.parse(body) as ParsedBody;
  expect(parsed.resourceSpans).toHaveLength(1);
  const out: { scope: string; span: ParsedSpan }[] = [];
  for (const ss of parsed.resourceSpans[0].scopeSpans) for (const s of ss.spans) out.push({ scope: ss.scope.name, span: s });
  return out;
}

/** Names of the user spans in a body (the drop report excluded). */
const namesIn = (body: string) => parseBody(body).filter((x) => x.span.name !== 'tracelet.dropped').map((x) => x.span.name);

/** The drop report's attributes in a body, as numbers, or undefined when it has none. */
function reportIn(body: string): Record<string, number> | undefined {
  const reports = parseBody(body).filter((x) => x.span.name === 'tracelet.dropped');
  if (!reports.length) return undefined;
  expect(reports).toHaveLength(1);
  expect(reports[0].scope).toBe('tracelet');
  const out: Record<string, number> = {};
  for (const kv of reports[0].span.attributes ?? []) out[kv.key] = Number(kv.value.intValue);
  return out;
}

type Responder = (body: string, call: number) => SendOutcome | Promise<SendOutcome>;

function fakeTransport(respond: Responder = () => ({ kind: 'ok' })) {
  const bodies: string[] = [];
  const transport: Transport = {
    send(body) {
      const call = bodies.push(body) - 1;
      return Promise.resolve().then(() => respond(body, call));
    },
  };
  return { transport, bodies };
}

const RESOURCE = { 'service.name': 'svc' };

function pipeline(transport: Transport, opts: Partial<PipelineOptions> = {}) {
  return new ExportPipeline({
    resource: RESOURCE,
    transport,
    maxQueueSize: 100,
    maxExportBatchSize: 10,
    scheduledDelayMillis: 5000,
    ...opts,
  });
}

/** Bytes of a body holding just this span. */
function bodyBytesOf(s: ReadableSpan): number {
  const b = new BodyBuilder();
  b.add({ resource: encodeResource(RESOURCE), scope: encodeScope(s.instrumentationScope), span: encodeSpan(s) });
  return b.bytes;
}

/**
 * Runs the timers due now, including those armed when the transport's answer settles.
 * (The fake clock runs a 0 ms timer armed while it ticks 1 ms later, so step by 1 ms.)
 */
async function runDueTimers(): Promise<void> {
  for (let i = 0; i < 10; i++) await vi.advanceTimersByTimeAsync(1);
}

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

// ---------------------------------------------------------------- queue and batches

describe('ExportPipeline: queue and batching', () => {
  it('drops past maxQueueSize as queue_full and counts exactly', async () => {
    const { transport, bodies } = fakeTransport();
    const p = pipeline(transport, { maxQueueSize: 5, maxExportBatchSize: 100 });
    for (let i = 0; i < 8; i++) p.enqueue(span());
    expect(p.stats()).toEqual({
      exported: 0,
      queued: 5,
      dropped: { queue_full: 3, too_large: 0, export_failed: 0, storage_full: 0, stale: 0, shutdown: 0 },
    });
    await vi.advanceTimersByTimeAsync(5000);
    expect(bodies).toHaveLength(1);
    expect(namesIn(bodies[0])).toHaveLength(5);
    expect(reportIn(bodies[0])).toEqual({ 'tracelet.dropped.queue_full': 3, 'tracelet.dropped.total': 3 });
    expect(p.stats().exported).toBe(5);
    expect(p.stats().queued).toBe(0);
  });

  it('waits scheduledDelayMillis for a partial batch, and arms no timer while empty', async () => {
    const { transport, bodies } = fakeTransport();
    const p = pipeline(transport, { maxExportBatchSize: 4 });
    expect(vi.getTimerCount()).toBe(0);
    for (let i = 0; i < 3; i++) p.enqueue(span());
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(4999);
    expect(bodies).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(bodies).toHaveLength(1);
    expect(namesIn(bodies[0])).toHaveLength(3);
    expect(p.stats()).toMatchObject({ exported: 3, queued: 0 });
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(bodies).toHaveLength(1);
  });

  it('exports a full batch at once without waiting scheduledDelayMillis', async () => {
    const { transport, bodies } = fakeTransport();
    const p = pipeline(transport, { maxExportBatchSize: 4 });
    for (let i = 0; i < 4; i++) p.enqueue(span());
    await vi.advanceTimersByTimeAsync(0);
    expect(bodies).toHaveLength(1);
    expect(namesIn(bodies[0])).toHaveLength(4);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('respects maxExportBatchSize and sends the rest after the delay', async () => {
    const { transport, bodies } = fakeTransport();
    const p = pipeline(transport, { maxExportBatchSize: 4 });
    const sent = Array.from({ length: 10 }, () => span());
    sent.forEach((s) => p.enqueue(s));
    await runDueTimers();
    expect(bodies.map((b) => namesIn(b).length)).toEqual([4, 4]);
    await vi.advanceTimersByTimeAsync(4990);
    expect(bodies).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(10);
    expect(bodies.map((b) => namesIn(b).length)).toEqual([4, 4, 2]);
    expect(bodies.flatMap(namesIn)).toEqual(sent.map((s) => s.name));
  });

  it('keeps every body within maxBatchBytes and delivers every span once', async () => {
    const { transport, bodies } = fakeTransport();
    const maxBatchBytes = 3000;
    const p = pipeline(transport, { maxExportBatchSize: 100, maxBatchBytes });
    const sent = Array.from({ length: 20 }, (_, i) => span(200 + i * 37));
    sent.forEach((s) => p.enqueue(s));
    await p.flush();
    expect(bodies.length).toBeGreaterThan(3);
    for (const b of bodies) expect(Buffer.byteLength(b)).toBeLessThanOrEqual(maxBatchBytes);
    expect(bodies.flatMap(namesIn)).toEqual(sent.map((s) => s.name));
    expect(p.stats()).toMatchObject({ exported: 20, queued: 0 });
    expect(Object.values(p.stats().dropped).every((n) => n === 0)).toBe(true);
  });

  it('defaults maxBatchBytes to 60 KiB', async () => {
    expect(MAX_BATCH_BYTES).toBe(60 * 1024);
    const { transport, bodies } = fakeTransport();
    const p = pipeline(transport, { maxExportBatchSize: 1000, maxQueueSize: 1000 });
    for (let i = 0; i < 200; i++) p.enqueue(span(1000));
    await p.flush();
    expect(bodies.length).toBeGreaterThan(1);
    for (const b of bodies) expect(Buffer.byteLength(b)).toBeLessThanOrEqual(MAX_BATCH_BYTES);
    expect(bodies.flatMap(namesIn)).toHaveLength(200);
  });

  it('drops a single span larger than maxBatchBytes as too_large and reports it', async () => {
    const { transport, bodies } = fakeTransport();
    const p = pipeline(transport, { maxBatchBytes: 2000 });
    const small1 = span();
    const big = span(3000);
    const small2 = span();
    [small1, big, small2].forEach((s) => p.enqueue(s));
    await p.flush();
    expect(bodies.flatMap(namesIn)).toEqual([small1.name, small2.name]);
    expect(p.stats().dropped.too_large).toBe(1);
    expect(p.stats().exported).toBe(2);
    // A body tells the collector, once: the same batch when the report fits there.
    p.enqueue(span());
    await p.flush();
    expect(bodies.map(reportIn).filter(Boolean)).toEqual([{ 'tracelet.dropped.too_large': 1, 'tracelet.dropped.total': 1 }]);
  });

  it('counts a span the encoder cannot encode as export_failed', async () => {
    const { transport, bodies } = fakeTransport();
    const p = pipeline(transport);
    const good = span();
    const broken = Object.create(span(), { startTime: { value: [NaN, NaN] } }) as ReadableSpan;
    expect(() => encodeSpan(broken)).toThrow();
    p.enqueue(broken);
    p.enqueue(good);
    await p.flush();
    expect(bodies.flatMap(namesIn)).toEqual([good.name]);
    expect(p.stats().dropped.export_failed).toBe(1);
  });

  it('does not drop a span that fits alone just because a drop report is pending', async () => {
    // A span whose body is exactly maxBatchBytes fits on its own. Sharing the body with
    // the `tracelet.dropped` report it does not; the report should wait, not the span die.
    const { transport, bodies } = fakeTransport();
    const big = span(1500);
    // Control: alone, this span fits the limit exactly.
    const control = fakeTransport();
    const c = pipeline(control.transport, { maxQueueSize: 1, maxBatchBytes: bodyBytesOf(big) });
    c.enqueue(big);
    await c.flush();
    expect(control.bodies.flatMap(namesIn)).toEqual([big.name]);
    expect(Buffer.byteLength(control.bodies[0])).toBe(bodyBytesOf(big));

    const p = pipeline(transport, { maxQueueSize: 1, maxBatchBytes: bodyBytesOf(big) });
    p.enqueue(big);
    p.enqueue(span()); // queue_full: a report is now pending
    expect(p.stats().dropped.queue_full).toBe(1);
    await p.flush();
    expect(p.stats().dropped.too_large).toBe(0);
    expect(bodies.flatMap(namesIn)).toEqual([big.name]);
  });
});

// ---------------------------------------------------------------- outcomes

describe('ExportPipeline: transport outcomes', () => {
  it('retries on retry, not before afterMs, then succeeds without duplicates', async () => {
    const { transport, bodies } = fakeTransport((_b, call) => (call === 0 ? { kind: 'retry', afterMs: 10_000 } : { kind: 'ok' }));
    const p = pipeline(transport);
    const sent = [span(), span()];
    sent.forEach((s) => p.enqueue(s));
    await vi.advanceTimersByTimeAsync(5000);
    expect(bodies).toHaveLength(1);
    expect(p.stats()).toMatchObject({ exported: 0, queued: 2 });
    await vi.advanceTimersByTimeAsync(9_999);
    expect(bodies).toHaveLength(1);
    // flush leaves a batch waiting out Retry-After alone.
    await p.flush();
    expect(bodies).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(bodies).toHaveLength(2);
    expect(bodies[1]).toBe(bodies[0]);
    expect(p.stats()).toMatchObject({ exported: 2, queued: 0 });
    await vi.advanceTimersByTimeAsync(600_000);
    expect(bodies).toHaveLength(2);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('backs off exponentially with jitter when no afterMs is given', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.999999);
    const times: number[] = [];
    const { transport } = fakeTransport((_b, call) => {
      times.push(Date.now());
      return call < 3 ? { kind: 'retry' } : { kind: 'ok' };
    });
    const p = pipeline(transport);
    p.enqueue(span());
    await vi.advanceTimersByTimeAsync(5000 + 1000 + 2000 + 4000 + 10);
    expect(times).toHaveLength(4);
    const gaps = times.slice(1).map((t, i) => t - times[i]);
    // ~1000, ~2000, ~4000 ms (random factor 0.5..1, here ~1).
    expect(gaps[0]).toBeGreaterThanOrEqual(999);
    expect(gaps[0]).toBeLessThanOrEqual(1000);
    expect(gaps[1]).toBeGreaterThanOrEqual(1999);
    expect(gaps[2]).toBeGreaterThanOrEqual(3999);
    expect(p.stats().exported).toBe(1);
  });

  it('treats a rejected send promise as retryable', async () => {
    let calls = 0;
    const transport: Transport = {
      send() {
        calls++;
        return calls === 1 ? Promise.reject(new Error('network')) : Promise.resolve({ kind: 'ok' });
      },
    };
    const p = pipeline(transport);
    p.enqueue(span());
    await vi.advanceTimersByTimeAsync(5000);
    expect(calls).toBe(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(calls).toBe(2);
    expect(p.stats().exported).toBe(1);
  });

  it('an export that never settles times out as a network failure: it is retried, later spans leave, flush resolves (issue 16, bug 1)', async () => {
    const bodies: string[] = [];
    const transport: Transport = {
      send(body) {
        // The first request never settles, as WebKit leaves a keepalive fetch after a bfcache restore.
        return bodies.push(body) === 1 ? new Promise(() => {}) : Promise.resolve({ kind: 'ok' });
      },
    };
    const p = pipeline(transport, { exportTimeoutMillis: 30_000 });
    p.enqueue(span());
    await vi.advanceTimersByTimeAsync(5000);
    expect(bodies).toHaveLength(1);
    expect(p.busy).toBe(true);
    let flushed = false;
    void p.flush().then(() => (flushed = true));
    await vi.advanceTimersByTimeAsync(29_000);
    expect(flushed).toBe(false);
    await vi.advanceTimersByTimeAsync(1000);
    // Given up: the batch waits for its retry; a new span does not wait for the stuck request.
    p.enqueue(span());
    await vi.advanceTimersByTimeAsync(6000);
    await p.flush();
    expect(flushed).toBe(true);
    expect(bodies.slice(1).flatMap(namesIn)).toHaveLength(2);
    expect(p.stats()).toMatchObject({ exported: 2, queued: 0 });
  });

  it('defaults the export timeout to EXPORT_TIMEOUT_MS, and clears its timer when the answer comes', async () => {
    const { transport } = fakeTransport();
    const p = pipeline(transport);
    p.enqueue(span());
    await p.flush();
    expect(EXPORT_TIMEOUT_MS).toBe(30_000);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('gives up after maxRetries and counts export_failed', async () => {
    const { transport, bodies } = fakeTransport((body) => (body.includes('tracelet.dropped') ? { kind: 'ok' } : { kind: 'retry', afterMs: 1 }));
    const p = pipeline(transport, { maxRetries: 2 });
    p.enqueue(span());
    p.enqueue(span());
    await vi.advanceTimersByTimeAsync(5000 + 60_000);
    expect(bodies).toHaveLength(3); // first try + 2 retries
    expect(p.stats()).toMatchObject({ exported: 0, queued: 0 });
    expect(p.stats().dropped.export_failed).toBe(2);
    expect(vi.getTimerCount()).toBe(0);
    // Default: 5 retries.
    const t2 = fakeTransport(() => ({ kind: 'retry', afterMs: 1 }));
    const p2 = pipeline(t2.transport);
    p2.enqueue(span());
    await vi.advanceTimersByTimeAsync(5000 + 120_000);
    expect(t2.bodies).toHaveLength(6);
    expect(p2.stats().dropped.export_failed).toBe(1);
  });

  it('does not retry rejected and counts it as export_failed', async () => {
    const { transport, bodies } = fakeTransport(() => ({ kind: 'rejected', status: 400 }));
    const p = pipeline(transport);
    for (let i = 0; i < 3; i++) p.enqueue(span());
    await vi.advanceTimersByTimeAsync(5000);
    await vi.advanceTimersByTimeAsync(600_000);
    expect(bodies).toHaveLength(1);
    expect(p.stats().dropped.export_failed).toBe(3);
    expect(p.stats().queued).toBe(0);
  });

  it('splits a too_large batch into halves until they fit', async () => {
    const { transport, bodies } = fakeTransport((body) => (parseBody(body).length > 2 ? { kind: 'too_large' } : { kind: 'ok' }));
    const p = pipeline(transport, { maxExportBatchSize: 100 });
    const sent = Array.from({ length: 7 }, () => span());
    sent.forEach((s) => p.enqueue(s));
    await p.flush();
    const accepted = bodies.filter((b) => parseBody(b).length <= 2);
    expect(accepted.flatMap(namesIn).sort()).toEqual(sent.map((s) => s.name).sort());
    expect(bodies[0]).toContain(sent[6].name);
    expect(parseBody(bodies[0])).toHaveLength(7);
    expect(p.stats()).toMatchObject({ exported: 7, queued: 0 });
    expect(Object.values(p.stats().dropped).every((n) => n === 0)).toBe(true);
  });

  it('drops a lone span the collector calls too_large', async () => {
    const { transport, bodies } = fakeTransport((body) => (namesIn(body).length ? { kind: 'too_large' } : { kind: 'ok' }));
    const p = pipeline(transport);
    p.enqueue(span());
    await p.flush();
    expect(bodies).toHaveLength(1);
    expect(p.stats().dropped.too_large).toBe(1);
    expect(p.stats().exported).toBe(0);
  });

  it('reports drops once in the next successful body', async () => {
    const { transport, bodies } = fakeTransport();
    const p = pipeline(transport, { maxQueueSize: 2 });
    for (let i = 0; i < 5; i++) p.enqueue(span());
    await p.flush();
    expect(reportIn(bodies[0])).toEqual({ 'tracelet.dropped.queue_full': 3, 'tracelet.dropped.total': 3 });
    p.enqueue(span());
    await p.flush();
    expect(bodies).toHaveLength(2);
    expect(reportIn(bodies[1])).toBeUndefined();
    expect(namesIn(bodies[1])).toHaveLength(1);
    // The total stays in stats.
    expect(p.stats().dropped.queue_full).toBe(3);
    // Only the user spans count as exported.
    expect(p.stats().exported).toBe(3);
  });

  it('reports the drops again when the body carrying the report fails', async () => {
    const { transport, bodies } = fakeTransport((_b, call) => (call === 0 ? { kind: 'rejected', status: 400 } : { kind: 'ok' }));
    const p = pipeline(transport, { maxQueueSize: 2 });
    for (let i = 0; i < 4; i++) p.enqueue(span());
    await p.flush();
    expect(reportIn(bodies[0])).toEqual({ 'tracelet.dropped.queue_full': 2, 'tracelet.dropped.total': 2 });
    p.enqueue(span());
    await p.flush();
    expect(reportIn(bodies[1])).toEqual({
      'tracelet.dropped.queue_full': 2,
      'tracelet.dropped.export_failed': 2,
      'tracelet.dropped.total': 4,
    });
    expect(reportIn(bodies[1])).toBeDefined();
  });
});

// ---------------------------------------------------------------- flush, drain, requeue, shutdown

describe('ExportPipeline: flush, drain, requeue, shutdown', () => {
  it('flush resolves only after the transport answered and leaves nothing queued', async () => {
    let answer: ((o: SendOutcome) => void) | undefined;
    const bodies: string[] = [];
    const transport: Transport = {
      send(body) {
        bodies.push(body);
        return new Promise((resolve) => (answer = resolve));
      },
    };
    const p = pipeline(transport, { maxExportBatchSize: 2 });
    for (let i = 0; i < 3; i++) p.enqueue(span());
    let done = false;
    const flushed = p.flush().then(() => (done = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(bodies).toHaveLength(1);
    expect(done).toBe(false);
    answer!({ kind: 'ok' });
    await vi.advanceTimersByTimeAsync(0);
    expect(bodies).toHaveLength(2);
    expect(done).toBe(false);
    answer!({ kind: 'ok' });
    await flushed;
    expect(p.stats()).toMatchObject({ exported: 3, queued: 0 });
  });

  it('sendLimit caps what an export carries until it lifts; drain at exit ignores it', async () => {
    let answered = false;
    const { transport, bodies } = fakeTransport(() => ((answered = true), { kind: 'ok' }));
    const p = pipeline(transport, { sendLimit: () => (answered ? Infinity : 1) });
    for (let i = 0; i < 5; i++) p.enqueue(span());
    await p.flush();
    // The first export carries one span; once answered, the rest go together.
    expect(bodies.map((b) => namesIn(b).length)).toEqual([1, 4]);

    answered = false;
    const q = pipeline(fakeTransport().transport, { sendLimit: () => 1 });
    for (let i = 0; i < 5; i++) q.enqueue(span());
    expect(q.drain().map((b) => b.items.length)).toEqual([5]);
  });

  it('under a send limit, fresh spans wait while a batch waits for its retry (no request per span)', async () => {
    const { transport, bodies } = fakeTransport(() => ({ kind: 'retry', network: true }));
    const p = pipeline(transport, { sendLimit: () => 1, maxExportBatchSize: 10, scheduledDelayMillis: 100 });
    for (let i = 0; i < 30; i++) p.enqueue(span());
    await vi.advanceTimersByTimeAsync(3000);
    // The first span and its retries (backoff about 1 s, 2 s), nothing else.
    expect(new Set(bodies.map((b) => namesIn(b).join()))).toHaveProperty('size', 1);
    expect(bodies.length).toBeGreaterThanOrEqual(2);
    expect(bodies.length).toBeLessThanOrEqual(3);
    expect(vi.getTimerCount()).toBe(1);
    p.flush();
    await vi.advanceTimersByTimeAsync(0);
    expect(bodies.length).toBeLessThanOrEqual(3);
  });

  it('a resource given as a function is learned once, when the first span is encoded', async () => {
    let calls = 0;
    const { transport, bodies } = fakeTransport();
    const p = pipeline(transport, { resource: () => (calls++, RESOURCE) });
    p.enqueue(span());
    expect(calls).toBe(0);
    p.enqueue(span());
    await p.flush();
    expect(calls).toBe(1);
    const attrs = (JSON.parse(bodies[0]) as ParsedBody).resourceSpans[0].resource.attributes;
    expect(attrs).toEqual([{ key: 'service.name', value: { stringValue: 'svc' } }]);
  });

  it('flush on an empty pipeline resolves at once', async () => {
    const { transport, bodies } = fakeTransport();
    await pipeline(transport).flush();
    expect(bodies).toHaveLength(0);
  });

  it('leaves no timer armed once flush has sent everything', async () => {
    const { transport } = fakeTransport();
    const p = pipeline(transport);
    p.enqueue(span());
    expect(vi.getTimerCount()).toBe(1);
    await p.flush();
    expect(p.stats().queued).toBe(0);
    // "no timer runs while nothing waits"
    expect(vi.getTimerCount()).toBe(0);
  });

  it('drain returns everything waiting as batches, synchronously', async () => {
    const { transport, bodies } = fakeTransport((_b, call) => (call === 0 ? { kind: 'retry', afterMs: 60_000 } : { kind: 'ok' }));
    const p = pipeline(transport, { maxExportBatchSize: 2 });
    const first = [span(), span()];
    first.forEach((s) => p.enqueue(s));
    await vi.advanceTimersByTimeAsync(0); // sent, told to retry in a minute
    expect(bodies).toHaveLength(1);
    const rest = [span(), span(), span()];
    rest.forEach((s) => p.enqueue(s));
    const batches = p.drain();
    expect(batches.map((b) => b.items.length)).toEqual([2, 2, 1]);
    expect(batches.flatMap((b) => namesIn(b.body))).toEqual([...first, ...rest].map((s) => s.name));
    for (const b of batches) expect(b.items.map((i) => JSON.parse(i.span).name)).toEqual(namesIn(b.body));
    expect(p.stats().queued).toBe(0);
    expect(p.drain()).toEqual([]);
    // Nothing is left for the timer to send.
    await vi.advanceTimersByTimeAsync(120_000);
    expect(bodies).toHaveLength(1);
  });

  it('requeue sends drained batches', async () => {
    const { transport, bodies } = fakeTransport();
    const p = pipeline(transport, { maxExportBatchSize: 2 });
    const sent = [span(), span(), span()];
    sent.forEach((s) => p.enqueue(s));
    const batches = p.drain();
    expect(bodies).toHaveLength(0);
    p.requeue(batches);
    expect(p.stats().queued).toBe(3);
    await runDueTimers();
    expect(bodies.flatMap(namesIn)).toEqual(sent.map((s) => s.name));
    expect(p.stats()).toMatchObject({ exported: 3, queued: 0 });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('settleExternal records an outside send', () => {
    const { transport } = fakeTransport();
    const p = pipeline(transport);
    p.enqueue(span());
    p.enqueue(span());
    const [batch] = p.drain();
    p.settleExternal(batch, { kind: 'ok' });
    expect(p.stats().exported).toBe(2);
    p.enqueue(span());
    p.settleExternal(p.drain()[0], { kind: 'rejected', status: 400 });
    expect(p.stats().dropped.export_failed).toBe(1);
  });

  it('cut: the spans whose body fits the bytes left, and the rest with the drop report', () => {
    const { transport } = fakeTransport();
    const p = pipeline(transport);
    p.drops.add('queue_full', 2);
    const made = [span(100), span(100), span(100), span(100)];
    made.forEach((s) => p.enqueue(s));
    const [batch] = p.drain();
    expect(reportIn(batch.body)).toBeDefined();
    const whole = new TextEncoder().encode(batch.body).length;
    expect(p.cut(batch, whole)).toEqual([batch, undefined]);
    // Room for the first two spans, one byte short of the third.
    const b = new BodyBuilder();
    batch.items.slice(0, 3).forEach((i) => b.add(i));
    const [head, tail] = p.cut(batch, b.bytes - 1);
    expect(namesIn(head!.body)).toEqual(made.slice(0, 2).map((s) => s.name));
    expect(new TextEncoder().encode(head!.body).length).toBeLessThanOrEqual(b.bytes - 1);
    expect(head!.report).toBeUndefined();
    expect(namesIn(tail!.body)).toEqual(made.slice(2).map((s) => s.name));
    expect(tail!.report).toEqual(batch.report);
    expect(reportIn(tail!.body)).toMatchObject({ 'tracelet.dropped.queue_full': 2 });
    // Not even one span fits: all of it stays.
    expect(p.cut(batch, 50)).toEqual([undefined, batch]);
    p.settleExternal(head!, { kind: 'ok' });
    expect(p.stats().exported).toBe(2);
  });

  it('shutdown flushes, counts leftovers as shutdown, and drops later spans', async () => {
    const { transport, bodies } = fakeTransport((_b, call) => (call === 0 ? { kind: 'retry', afterMs: 60_000 } : { kind: 'ok' }));
    const p = pipeline(transport, { maxExportBatchSize: 2 });
    p.enqueue(span());
    p.enqueue(span());
    await vi.advanceTimersByTimeAsync(0); // these two now wait a minute
    const more = span();
    p.enqueue(more);
    await p.shutdown();
    expect(bodies.slice(1).flatMap(namesIn)).toEqual([more.name]);
    expect(p.stats().dropped.shutdown).toBe(2);
    expect(p.stats().queued).toBe(0);
    expect(p.stats().exported).toBe(1);
    p.enqueue(span());
    expect(p.stats().dropped.shutdown).toBe(3);
    expect(p.stats().queued).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(600_000);
    expect(bodies).toHaveLength(2);
  });
});

describe('encodeDropReport', () => {
  it('is a valid span with one attribute per reason and a total', () => {
    const s = JSON.parse(encodeDropReport({ queue_full: 2, stale: 5 })) as ParsedSpan & { kind: number; startTimeUnixNano: string };
    expect(s.name).toBe('tracelet.dropped');
    expect(s.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(s.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(s.kind).toBe(1);
    expect(s.startTimeUnixNano).toMatch(/^\d+$/);
    expect(s.attributes).toEqual([
      { key: 'tracelet.dropped.queue_full', value: { intValue: '2' } },
      { key: 'tracelet.dropped.stale', value: { intValue: '5' } },
      { key: 'tracelet.dropped.total', value: { intValue: '7' } },
    ]);
  });
});

// ---------------------------------------------------------------- queue, stats, transport

describe('BoundedQueue', () => {
  it('refuses past capacity and keeps FIFO order', () => {
    const q = new BoundedQueue<number>(3);
    expect([q.push(1), q.push(2), q.push(3), q.push(4)]).toEqual([true, true, true, false]);
    expect(q.size).toBe(3);
    expect(q.peek()).toBe(1);
    expect(q.peek(2)).toBe(3);
    expect(q.take(2)).toEqual([1, 2]);
    expect(q.push(5)).toBe(true);
    expect(q.take(10)).toEqual([3, 5]);
    expect(q.size).toBe(0);
    expect(q.peek()).toBeUndefined();
  });

  it('unshift puts items in front and reports how many did not fit', () => {
    const q = new BoundedQueue<number>(4);
    q.push(1);
    q.push(2);
    q.take(1);
    expect(q.unshift([7, 8, 9, 10])).toBe(1);
    expect(q.take(4)).toEqual([8, 9, 10, 2]);
  });

  it('stays correct across compaction', () => {
    const q = new BoundedQueue<number>(5000);
    for (let i = 0; i < 3000; i++) q.push(i);
    const out: number[] = [];
    while (q.size) {
      out.push(...q.take(7));
      if (out.length % 700 === 0) q.push(-1);
    }
    expect(out.filter((x) => x >= 0)).toEqual(Array.from({ length: 3000 }, (_, i) => i));
  });

  it('drop removes like take, past the end too, across compaction', () => {
    const q = new BoundedQueue<number>(5000);
    for (let i = 0; i < 3000; i++) q.push(i);
    const out: number[] = [];
    while (q.size) {
      out.push(q.peek()!);
      q.drop(1);
      if (out.length % 700 === 0) q.push(-1);
    }
    expect(out.filter((x) => x >= 0)).toEqual(Array.from({ length: 3000 }, (_, i) => i));
    q.push(1);
    q.push(2);
    q.drop(5);
    expect(q.size).toBe(0);
    expect(q.push(3)).toBe(true);
    expect(q.take(1)).toEqual([3]);
  });
});

describe('DropCounter', () => {
  it('counts, hands out unreported counts once, and takes them back', () => {
    const d = new DropCounter();
    expect(d.takeUnreported()).toBeUndefined();
    d.add('queue_full');
    d.add('queue_full', 2);
    d.add('stale', 0);
    d.add('stale', -1);
    expect(d.total.queue_full).toBe(3);
    expect(d.total.stale).toBe(0);
    const u = d.takeUnreported();
    expect(u).toEqual({ queue_full: 3 });
    expect(d.takeUnreported()).toBeUndefined();
    d.add('too_large');
    d.restore(u!);
    expect(d.takeUnreported()).toEqual({ queue_full: 3, too_large: 1 });
    expect(d.total).toEqual({ queue_full: 3, too_large: 1, export_failed: 0, storage_full: 0, stale: 0, shutdown: 0 });
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('Wed, 21 Oct 2015 07:28:00 GMT');

  it('reads delay-seconds', () => {
    expect(parseRetryAfter('120')).toBe(120_000);
    expect(parseRetryAfter(' 0 ')).toBe(0);
  });

  it('reads an HTTP-date relative to now, never negative', () => {
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:29:30 GMT', now)).toBe(90_000);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:00:00 GMT', now)).toBe(0);
  });

  it('gives undefined for absent or unreadable values', () => {
    for (const v of [null, '', '   ', 'soon', 'abc', '12 apples', '3600s', '0x10']) expect(parseRetryAfter(v, now), String(v)).toBeUndefined();
    // Non-integers never ask for a positive wait.
    for (const v of ['1.5', '-5']) expect(parseRetryAfter(v, now) ?? 0, v).toBe(0);
  });
});

describe('classifyStatus', () => {
  it('maps HTTP statuses to outcomes', () => {
    expect(classifyStatus(200, null)).toEqual({ kind: 'ok' });
    expect(classifyStatus(204, null)).toEqual({ kind: 'ok' });
    expect(classifyStatus(400, null)).toEqual({ kind: 'rejected', status: 400 });
    expect(classifyStatus(401, '5')).toEqual({ kind: 'rejected', status: 401 });
    expect(classifyStatus(413, null)).toEqual({ kind: 'too_large' });
    expect(classifyStatus(429, '7')).toEqual({ kind: 'retry', afterMs: 7000 });
    expect(classifyStatus(500, null)).toEqual({ kind: 'rejected', status: 500 });
    for (const s of [502, 503, 504]) expect(classifyStatus(s, null)).toEqual({ kind: 'retry', afterMs: undefined });
    expect(classifyStatus(503, '2')).toEqual({ kind: 'retry', afterMs: 2000 });
    expect(classifyStatus(301, null)).toEqual({ kind: 'rejected', status: 301 });
  });
});

describe('fetchTransport', () => {
  it('POSTs JSON with the extra headers, calling fetch as a plain function', async () => {
    const calls: { self: unknown; url: unknown; init: RequestInit }[] = [];
    const fakeFetch = function (this: unknown, url: unknown, init?: RequestInit) {
      calls.push({ self: this, url, init: init! });
      return Promise.resolve(new Response(null, { status: 429, headers: { 'retry-after': '3' } }));
    } as unknown as typeof fetch;
    const t = fetchTransport('https://c.example/v1/traces', { 'x-api-key': 'k' }, fakeFetch, { keepalive: true });
    expect(await t.send('{"a":1}')).toEqual({ kind: 'retry', afterMs: 3000 });
    expect(calls).toHaveLength(1);
    expect(calls[0].self).toBeUndefined();
    expect(calls[0].url).toBe('https://c.example/v1/traces');
    expect(calls[0].init).toMatchObject({
      method: 'POST',
      body: '{"a":1}',
      keepalive: true,
      headers: { 'content-type': 'application/json', 'x-api-key': 'k' },
    });
  });

  it('maps a network error to retry and statuses through classifyStatus', async () => {
    const failing = (() => Promise.reject(new TypeError('Failed to fetch'))) as unknown as typeof fetch;
    expect(await fetchTransport('https://c.example/', {}, failing).send('x')).toEqual({ kind: 'retry', network: true });
    const ok = (() => Promise.resolve(new Response('{}', { status: 200 }))) as unknown as typeof fetch;
    expect(await fetchTransport('https://c.example/', {}, ok).send('x')).toEqual({ kind: 'ok' });
    const bad = (() => Promise.resolve(new Response('no', { status: 400 }))) as unknown as typeof fetch;
    expect(await fetchTransport('https://c.example/', {}, bad).send('x')).toEqual({ kind: 'rejected', status: 400 });
  });
});
