import { afterEach, describe, expect, it } from 'vitest';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { ROOT_CONTEXT } from '@opentelemetry/api';
import { RateLimitedSpanProcessor, RateLimiter, rateLimitedRoot } from '../../src/core/rateLimit';
import { ParentOrRootSampler } from '../../src/core/sampler';
import { traceRequest } from '../../src/edge/httpServer';
import { incomingParent } from '../support/edge';
import { SPAN_KIND, startTestAgent } from '../support/edgeAgent';

/** A clock the test moves. */
function fakeClock(start = 1000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('RateLimiter', () => {
  it('1,000 takes spread over one second at 10/s: 10 pass (the first token, then one per 100 ms)', () => {
    const clock = fakeClock();
    const limiter = new RateLimiter(10, { clock: clock.now });
    let passed = 0;
    for (let i = 0; i < 1000; i++) {
      if (limiter.take()) passed++;
      clock.advance(1);
    }
    expect(passed).toBe(10);
    // Ten more seconds of the same: ten a second (give or take a token to rounding).
    for (let i = 0; i < 10_000; i++) {
      if (limiter.take()) passed++;
      clock.advance(1);
    }
    expect(passed).toBeGreaterThanOrEqual(109);
    expect(passed).toBeLessThanOrEqual(110);
  });

  it('bursts: tokens saved in a quiet spell, at most `burst` of them', () => {
    const clock = fakeClock();
    const limiter = new RateLimiter(100, { clock: clock.now });
    clock.advance(60_000);
    let passed = 0;
    for (let i = 0; i < 1000; i++) if (limiter.take()) passed++;
    expect(passed).toBe(100);
    const narrow = new RateLimiter(100, { clock: clock.now, burst: 5 });
    clock.advance(60_000);
    passed = 0;
    for (let i = 0; i < 1000; i++) if (narrow.take()) passed++;
    expect(passed).toBe(5);
  });

  it('a clock that goes back adds nothing; fractional rates work', () => {
    const clock = fakeClock(10_000);
    const limiter = new RateLimiter(0.5, { clock: clock.now });
    expect(limiter.take()).toBe(true);
    clock.advance(-5000);
    expect(limiter.take()).toBe(false);
    clock.advance(1999);
    expect(limiter.take()).toBe(false);
    clock.advance(2001); // 2 s after the earlier high-water mark
    expect(limiter.take()).toBe(true);
  });
});

describe('rateLimitedRoot and ParentOrRootSampler', () => {
  it('limits root decisions only; a parent decision is followed', () => {
    const clock = fakeClock();
    let limited = 0;
    const root = rateLimitedRoot(() => true, new RateLimiter(10, { clock: clock.now }), () => limited++);
    const tracer = new BasicTracerProvider({ sampler: new ParentOrRootSampler(root) }).getTracer('t');
    const roots = Array.from({ length: 100 }, () => tracer.startSpan('r', {}, ROOT_CONTEXT).isRecording());
    expect(roots.filter(Boolean)).toHaveLength(1);
    expect(limited).toBe(99);
    // A ratio that says no is not a rate-limit drop.
    const none = rateLimitedRoot(() => false, new RateLimiter(10, { clock: clock.now }), () => limited++);
    expect(none('x')).toBe(false);
    expect(limited).toBe(99);
  });
});

describe('RateLimitedSpanProcessor (the browser\'s per-page span limit)', () => {
  it('sheds sampled spans beyond the rate and counts them; unsampled spans are not counted', () => {
    const clock = fakeClock();
    const ended: string[] = [];
    let dropped = 0;
    const inner = { onStart: () => {}, onEnd: (s: { name: string }) => ended.push(s.name), forceFlush: async () => {}, shutdown: async () => {} };
    const processor = new RateLimitedSpanProcessor(inner as never, new RateLimiter(5, { clock: clock.now, burst: 5, initial: 5 }), () => dropped++);
    const tracer = new BasicTracerProvider({ spanProcessors: [processor] }).getTracer('t');
    for (let i = 0; i < 20; i++) tracer.startSpan('s' + i).end();
    expect(ended).toEqual(['s0', 's1', 's2', 's3', 's4']);
    expect(dropped).toBe(15);
    clock.advance(1000);
    tracer.startSpan('later').end();
    expect(ended.at(-1)).toBe('later');
    const unsampled = new BasicTracerProvider({ spanProcessors: [processor], sampler: new ParentOrRootSampler(() => false) }).getTracer('u');
    unsampled.startSpan('x').end();
    expect(dropped).toBe(15);
  });
});

describe('maxTracesPerSecond at the edge wrappers (node)', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  it('1,000 requests in about a second at maxTracesPerSecond 10: about 10 sampled, the rest counted as rate_limited', async () => {
    const t = await startTestAgent({ maxTracesPerSecond: 10, maxQueueSize: 10_000 });
    close = t.close;
    const started = performance.now();
    const sampled: string[] = [];
    const unsampled: string[] = [];
    // 20 rounds of 50 requests, 50 ms apart: 1,000 requests over about a second.
    for (let round = 0; round < 20; round++) {
      const res = await Promise.all(Array.from({ length: 50 }, () => traceRequest(t.agent, new Request('https://edge.example/x'), () => new Response('ok'))));
      for (const r of res) {
        const tp = r.headers.get('server-timing')!.match(/-(0[01])"/)![1];
        (tp === '01' ? sampled : unsampled).push(tp);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    const seconds = (performance.now() - started) / 1000;
    // The first token plus the rate over the time it took, at most; at least the rate over it, less a token.
    expect(sampled.length).toBeLessThanOrEqual(1 + Math.ceil(10 * seconds));
    expect(sampled.length).toBeGreaterThanOrEqual(Math.floor(10 * seconds) - 1);
    expect(sampled.length + unsampled.length).toBe(1000);
    expect(t.agent.stats().dropped.rate_limited).toBe(unsampled.length);

    // Requests with a sampled parent are followed even though the rate is spent.
    const parents = Array.from({ length: 50 }, () => incomingParent('01'));
    await Promise.all(parents.map((p) => traceRequest(t.agent, new Request('https://edge.example/p', { headers: { traceparent: p.traceparent } }), () => new Response('ok'))));
    await t.agent.flush();
    const servers = t.receiver.spans.filter((s) => s.kind === SPAN_KIND.SERVER);
    expect(servers).toHaveLength(sampled.length + 50);
    // The collector is told how many traces the limit unsampled, in tracelet.dropped spans.
    const reported = t.receiver.spans.filter((s) => s.name === 'tracelet.dropped').reduce((n, s) => n + Number(s.attributes['tracelet.dropped.rate_limited'] ?? 0), 0);
    expect(reported).toBe(unsampled.length);
    expect(t.receiver.rejected).toEqual([]);
  });
});
