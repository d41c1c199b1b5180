// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { gunzipSync } from 'node:zlib';
import { parseBrowserOptions } from '../../src/browser/options';
import { configError } from '../support/configError';

const base = 'https://shop.example/cart';
const valid = { serviceName: 'shop', endpoint: 'https://collector.example/v1/traces' };

describe('maxSpansPerSecond (parseBrowserOptions)', () => {
  it('has no limit by default (also for null) and keeps any rate above 0 up to 1000000', () => {
    expect(parseBrowserOptions(valid, base).maxSpansPerSecond).toBeUndefined();
    expect(parseBrowserOptions({ ...valid, maxSpansPerSecond: null }, base).maxSpansPerSecond).toBeUndefined();
    for (const v of [0.5, 5, 250, 1_000_000]) expect(parseBrowserOptions({ ...valid, maxSpansPerSecond: v }, base).maxSpansPerSecond).toBe(v);
  });

  it('rejects 0, negatives, NaN, Infinity, over 1000000 and non-numbers, naming the option and quoting the value', () => {
    for (const [v, shown] of [
      [0, '0'],
      [-1, '-1'],
      [NaN, 'NaN'],
      [Infinity, 'Infinity'],
      [1_000_001, '1000001'],
      ['10', '"10"'],
      [true, 'true'],
      [{}, '{}'],
    ] as [unknown, string][]) {
      const e = configError(() => parseBrowserOptions({ ...valid, maxSpansPerSecond: v }, base));
      expect(e.option).toBe('maxSpansPerSecond');
      expect(e.message).toBe(`tracelet: option "maxSpansPerSecond" must be a number above 0 and at most 1000000, got ${shown}; tracing is off`);
    }
  });
});

/** One export request's span names, and its `tracelet.dropped.rate_limited` counts summed. */
interface Sent {
  names: string[];
  rateLimited: number;
}

/**
 * startAgent with a stub fetch as the collector (answering 200) and the given options on a
 * hub as the loader leaves it; loaded fresh so the transport captures the stub.
 */
async function startWith(options: Record<string, unknown>) {
  const sent: Sent[] = [];
  // A fresh visit each time: the session (and its sampling decision) lives in sessionStorage.
  sessionStorage.clear();
  localStorage.clear();
  vi.stubGlobal('fetch', async (_url: string, init: RequestInit) => {
    const raw = init.body as string | Uint8Array;
    const body = JSON.parse(typeof raw === 'string' ? raw : gunzipSync(raw).toString());
    const spans = body.resourceSpans.flatMap((rs: any) => rs.scopeSpans.flatMap((ss: any) => ss.spans));
    const limited = spans.flatMap((s: any) => (s.attributes ?? []).filter((a: any) => a.key === 'tracelet.dropped.rate_limited'));
    sent.push({ names: spans.map((s: any) => s.name), rateLimited: limited.reduce((n: number, a: any) => n + Number(a.value.intValue), 0) });
    return new Response('{}', { status: 200 });
  });
  vi.resetModules();
  const { startAgent } = await import('../../src/browser/agent/start');
  const hub = {
    o: { serviceName: 'shop', endpoint: location.origin + '/v1/traces', ...options },
    on: true,
    q: [],
    n: 0,
    pv: '0123456789abcdef',
    sent: { vitals: [] },
    ready: [],
    stops: [],
  };
  const errors: unknown[] = [];
  vi.spyOn(console, 'error').mockImplementation((e) => errors.push(e));
  return { agent: startAgent(hub as never), sent, errors };
}

const OFF = { documentLoad: false, fetch: false, xhr: false, webVitals: false, errors: false, routeChanges: false };

describe('the agent sheds spans past maxSpansPerSecond', () => {
  let shutdown: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await shutdown?.();
    shutdown = undefined;
    vi.useRealTimers();
    vi.unstubAllGlobals();
    vi.restoreAllMocks();
  });

  it('20 spans in one instant at 5/s: 5 exported, 15 counted as rate_limited and reported to the collector', async () => {
    // The clock stands still, so the bucket (full at start, one second deep) gives exactly 5.
    vi.useFakeTimers({ toFake: ['Date'] });
    const { agent, sent } = await startWith({ maxSpansPerSecond: 5, instrumentations: OFF });
    shutdown = () => agent.shutdown();
    for (let i = 0; i < 20; i++) agent.tracer.startSpan('s' + i).end();
    expect(agent.stats().dropped.rate_limited).toBe(15);
    await agent.flush();
    const names = sent.flatMap((s) => s.names);
    expect(names.filter((n) => n !== 'tracelet.dropped')).toEqual(['s0', 's1', 's2', 's3', 's4']);
    expect(sent.reduce((n, s) => n + s.rateLimited, 0)).toBe(15);
    expect(agent.stats().exported).toBe(5);

    // A second later the bucket holds 5 again; what it sheds is counted and told once more.
    vi.setSystemTime(Date.now() + 1000);
    for (let i = 20; i < 30; i++) agent.tracer.startSpan('s' + i).end();
    await agent.flush();
    expect(agent.stats()).toMatchObject({ exported: 10, dropped: { rate_limited: 20 } });
    expect(sent.flatMap((s) => s.names).filter((n) => n !== 'tracelet.dropped')).toHaveLength(10);
    expect(sent.reduce((n, s) => n + s.rateLimited, 0)).toBe(20);
  });

  it('a limit of 100 lets a burst of 100 through and counts the 101st', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { agent, sent } = await startWith({ maxSpansPerSecond: 100, instrumentations: OFF });
    shutdown = () => agent.shutdown();
    for (let i = 0; i < 101; i++) agent.tracer.startSpan('s' + i).end();
    await agent.flush();
    expect(agent.stats()).toMatchObject({ exported: 100, dropped: { rate_limited: 1 } });
    expect(sent.flatMap((s) => s.names)).toContain('tracelet.dropped');
  });

  it('no limit by default: a burst of 500 is delivered whole, nothing counted', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { agent, sent } = await startWith({ instrumentations: OFF });
    shutdown = () => agent.shutdown();
    for (let i = 0; i < 500; i++) agent.tracer.startSpan('s' + i).end();
    await agent.flush();
    expect(agent.stats().dropped.rate_limited).toBeUndefined();
    expect(sent.flatMap((s) => s.names).filter((n) => n !== 'tracelet.dropped')).toHaveLength(500);
  });

  it('unsampled spans are neither limited nor counted', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { agent, sent } = await startWith({ maxSpansPerSecond: 1, sampleRate: 0, instrumentations: OFF });
    shutdown = () => agent.shutdown();
    for (let i = 0; i < 10; i++) agent.tracer.startSpan('s' + i).end();
    await agent.flush();
    expect(agent.stats().dropped.rate_limited).toBeUndefined();
    expect(sent).toEqual([]);
  });

  it('a bad maxSpansPerSecond: one console error naming it, and an agent that does nothing', async () => {
    const { agent, errors } = await startWith({ maxSpansPerSecond: 0 });
    expect(agent.enabled).toBe(false);
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toMatch(/option "maxSpansPerSecond" must be a number above 0/);
  });
});
