// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { gunzipSync } from 'node:zlib';

// The real gzipSync, counted.
vi.mock('../../src/core/gzipSync', async (real) => {
  const m = await real<typeof import('../../src/core/gzipSync')>();
  return { ...m, gzipSync: vi.fn(m.gzipSync) };
});

interface Call {
  keepalive: boolean;
  bytes: number;
  gzip: boolean;
  /** The body as text (gunzipped when gzipped). */
  text: string;
}

type Answer = number | 'cut' | 'never' | ((call: Call, n: number) => number | 'cut');

/** browserTransport over a stub fetch answering `answer` (a status, 'cut': a network error, or 'never': a fetch that never settles, as WebKit leaves one after a bfcache restore), loaded fresh so it captures the stub. */
async function load(answer: Answer, endpoint = location.origin + '/v1/traces', { keepalive = true, compression = 'auto' as 'auto' | 'gzip' | 'none' } = {}) {
  const calls: Call[] = [];
  // happy-dom's Request has no keepalive; browsers that honour it have the attribute.
  const Request = class {};
  if (keepalive) Object.defineProperty(Request.prototype, 'keepalive', { get: () => false });
  vi.stubGlobal('Request', Request);
  vi.stubGlobal('fetch', (_url: string, init: RequestInit) => {
    const gzip = (init.headers as Record<string, string>)['content-encoding'] === 'gzip';
    const body = init.body as string | Uint8Array;
    const call = {
      keepalive: init.keepalive === true,
      bytes: typeof body === 'string' ? body.length : body.length,
      gzip,
      text: typeof body === 'string' ? body : gunzipSync(body).toString(),
    };
    calls.push(call);
    const a = typeof answer === 'function' ? answer(call, calls.length) : answer;
    if (a === 'never') return new Promise(() => {});
    return a === 'cut' ? Promise.reject(new TypeError('Failed to fetch')) : Promise.resolve(new Response('{}', { status: a }));
  });
  vi.resetModules();
  const { browserTransport } = await import('../../src/browser/transport');
  const { KEEPALIVE_BUDGET } = await import('../../src/browser/constants');
  return { t: browserTransport(endpoint, {}, compression), calls, KEEPALIVE_BUDGET };
}

/** Text that gzip cannot shrink much: random letters. */
const noise = (n: number) => Array.from({ length: n }, () => String.fromCharCode(97 + Math.floor(Math.random() * 26))).join('');
const json = (n: number) => '{"resourceSpans":[' + Array.from({ length: n }, (_, i) => `{"name":"span ${i}"}`).join(',') + ']}';

afterEach(() => {
  vi.unstubAllGlobals();
  vi.useRealTimers();
  localStorage.clear();
});

describe('browserTransport while the page is visible', () => {
  it('gzips the body (CompressionStream) with Content-Encoding: gzip', async () => {
    const { t, calls } = await load(200);
    const body = json(100);
    expect(await t.send(body)).toEqual({ kind: 'ok' });
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ gzip: true, keepalive: true, text: body });
    expect(calls[0].bytes).toBeLessThan(body.length / 3);
  });

  it('sends plain JSON where CompressionStream is missing', async () => {
    vi.stubGlobal('CompressionStream', undefined);
    const { t, calls } = await load(200);
    expect(await t.send(json(3))).toEqual({ kind: 'ok' });
    expect(calls.map((c) => c.gzip)).toEqual([false]);
  });

  it('a collector answering 415 gets the same body as plain JSON at once, and plain JSON from then on', async () => {
    const { t, calls } = await load((c) => (c.gzip ? 415 : 200));
    expect(await t.send(json(2))).toEqual({ kind: 'ok' });
    expect(await t.send(json(3))).toEqual({ kind: 'ok' });
    expect(calls.map((c) => [c.gzip, c.text])).toEqual([[true, json(2)], [false, json(2)], [false, json(3)]]);
    // Remembered for the next page view (a new transport).
    const next = await load(200);
    await next.t.send(json(1));
    expect(next.calls.map((c) => c.gzip)).toEqual([false]);
  });

  it('a 415 after gzip worked (the collector was reconfigured) still falls back, nothing lost', async () => {
    const { t, calls } = await load((c, n) => (c.gzip && n > 1 ? 415 : 200));
    await t.send(json(1));
    expect(await t.send(json(2))).toEqual({ kind: 'ok' });
    expect(calls.map((c) => c.gzip)).toEqual([true, true, false]);
  });

  it('a 400 for gzip that plain JSON also gets is the payload, not gzip: gzip stays', async () => {
    const { t, calls } = await load(400);
    expect(await t.send(json(1))).toEqual({ kind: 'rejected', status: 400 });
    await t.send(json(1));
    expect(calls.map((c) => c.gzip)).toEqual([true, false, true, false]);
  });

  it('cross-origin: a network error before any gzipped body was answered is tried plain; plain answered means CORS refused gzip', async () => {
    const { t, calls } = await load((c) => (c.gzip ? 'cut' : 200), 'https://collector.example/v1/traces');
    expect(t.spansPerExport()).toBe(1);
    expect(await t.send(json(1))).toEqual({ kind: 'ok' });
    expect(t.spansPerExport()).toBe(Infinity);
    await t.send(json(2));
    expect(calls.map((c) => c.gzip)).toEqual([true, false, false]);
  });

  it('cross-origin: when plain fails too it is the network: plain alone until an answer, then gzip again', async () => {
    let up = false;
    const { t, calls } = await load(() => (up ? 200 : 'cut'), 'https://collector.example/v1/traces');
    expect(await t.send(json(1))).toMatchObject({ kind: 'retry', network: true });
    // Still down: one request per attempt, not two.
    expect(await t.send(json(1))).toMatchObject({ kind: 'retry', network: true });
    up = true;
    expect(await t.send(json(1))).toEqual({ kind: 'ok' });
    expect(await t.send(json(1))).toEqual({ kind: 'ok' });
    expect(calls.map((c) => c.gzip)).toEqual([true, false, false, false, true]);
  });

  it('a keepalive send cut by the exit counts as delivered; a plain one (past the budget) does not', async () => {
    const { t, calls, KEEPALIVE_BUDGET } = await load('cut');
    t.leave();
    expect(await t.send(json(20))).toEqual({ kind: 'ok' });
    // Past the budget even compressed: a plain fetch, which the exit cancels.
    expect(await t.send(noise(KEEPALIVE_BUDGET * 2))).toMatchObject({ kind: 'retry', network: true });
    expect(calls.map((c) => c.keepalive)).toEqual([true, false]);
    // Before the exit, a network failure is always retried.
    t.restored();
    expect(await t.send('x')).toMatchObject({ kind: 'retry' });
  });
});

describe('browserTransport at exit', () => {
  it('same-origin: a gzipped keepalive fetch, the budget counted in compressed bytes', async () => {
    vi.useFakeTimers();
    const beacon = vi.fn(() => true);
    vi.stubGlobal('navigator', { sendBeacon: beacon });
    const { t, calls, KEEPALIVE_BUDGET } = await load(200);
    // Before anything was compressed, room is the budget over a conservative ratio.
    expect(t.exitRoom()).toBeGreaterThan(KEEPALIVE_BUDGET);
    const body = json(4000);
    expect(body.length).toBeGreaterThan(KEEPALIVE_BUDGET);
    expect(t.sendAtExit(body)).toBe(true);
    expect(beacon).not.toHaveBeenCalled();
    expect(calls[0]).toMatchObject({ keepalive: true, gzip: true, text: body });
    expect(t.exitRoom()).toBeGreaterThan(KEEPALIVE_BUDGET - calls[0].bytes);
    // Noise does not compress: past what is left of the budget, refused (kept for later).
    expect(t.sendAtExit(noise(KEEPALIVE_BUDGET))).toBe(false);
    // Its ratio (about 1) is what the room is estimated with now; the held bytes free later.
    const held = t.exitRoom();
    expect(held).toBeLessThan(KEEPALIVE_BUDGET);
    await vi.advanceTimersByTimeAsync(3001);
    expect(t.exitRoom()).toBeGreaterThan(held);
  });

  it('cross-origin before the collector took a gzipped body: a plain beacon, counted as before', async () => {
    vi.useFakeTimers();
    const beacon = vi.fn(() => true);
    vi.stubGlobal('navigator', { sendBeacon: beacon });
    const { t, calls, KEEPALIVE_BUDGET } = await load(200, 'https://collector.example/v1/traces');
    expect(t.exitRoom()).toBe(KEEPALIVE_BUDGET);
    expect(t.sendAtExit('x'.repeat(60_000))).toBe(true);
    expect(beacon).toHaveBeenCalledTimes(1);
    expect(calls).toHaveLength(0);
    expect(t.exitRoom()).toBe(KEEPALIVE_BUDGET - 60_000);
    expect(t.sendAtExit('x'.repeat(t.exitRoom() + 1))).toBe(false);
    expect(t.sendAtExit('x'.repeat(t.exitRoom()))).toBe(true);
    expect(t.exitRoom()).toBe(0);
    vi.advanceTimersByTime(3001);
    expect(t.exitRoom()).toBe(KEEPALIVE_BUDGET);
  });

  it('cross-origin once a gzipped body was answered: gzipped keepalive at exit', async () => {
    const beacon = vi.fn(() => true);
    vi.stubGlobal('navigator', { sendBeacon: beacon });
    const { t, calls } = await load(200, 'https://collector.example/v1/traces');
    await t.send(json(1));
    expect(t.sendAtExit(json(500))).toBe(true);
    expect(beacon).not.toHaveBeenCalled();
    expect(calls.map((c) => [c.keepalive, c.gzip])).toEqual([[true, true], [true, true]]);
    expect(calls[1].text).toBe(json(500));
  });

  it('a browser without keepalive (Firefox before 133) leaves by plain beacon: a fetch would die with the page', async () => {
    const beacon = vi.fn(() => true);
    vi.stubGlobal('navigator', { sendBeacon: beacon });
    const { t, calls } = await load(200, undefined, { keepalive: false });
    expect(t.sendAtExit(json(5))).toBe(true);
    expect(beacon).toHaveBeenCalledTimes(1);
    expect(calls).toHaveLength(0);
  });

  it('cross-origin, guessing: the batch measured for the plain share is gzipped once when it goes', async () => {
    const beacon = vi.fn(() => true);
    vi.stubGlobal('navigator', { sendBeacon: beacon });
    const { t, calls, KEEPALIVE_BUDGET } = await load(200, 'https://collector.example/v1/traces');
    const { gzipSync } = await import('../../src/core/gzipSync');
    vi.mocked(gzipSync).mockClear();
    expect(t.guessing()).toBe(true);
    const body = json(4000);
    const plain = t.plainRoomBeside(2 * KEEPALIVE_BUDGET, body);
    expect(plain).toBeLessThan(KEEPALIVE_BUDGET);
    expect(t.sendAtExit(body, true)).toBe(true);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ keepalive: true, gzip: true, text: body });
    expect(gzipSync).toHaveBeenCalledTimes(1);
    // Another body is gzipped on its own.
    expect(t.sendAtExit(json(10), true)).toBe(true);
    expect(calls[1].text).toBe(json(10));
    expect(gzipSync).toHaveBeenCalledTimes(2);
  });

  it('a collector that refused gzip gets plain beacons at exit', async () => {
    const beacon = vi.fn(() => true);
    vi.stubGlobal('navigator', { sendBeacon: beacon });
    const { t } = await load((c) => (c.gzip ? 415 : 200));
    await t.send(json(1));
    expect(t.sendAtExit(json(5))).toBe(true);
    expect(beacon).toHaveBeenCalledTimes(1);
  });
});

describe('browserTransport remembers what the collector made of gzip', () => {
  it('cross-origin: a page view after one whose gzipped export was answered gzips at exit from the start', async () => {
    const beacon = vi.fn(() => true);
    vi.stubGlobal('navigator', { sendBeacon: beacon });
    const first = await load(200, 'https://collector.example/v1/traces');
    await first.t.send(json(1));
    const next = await load(200, 'https://collector.example/v1/traces');
    expect(next.t.sendAtExit(json(5))).toBe(true);
    expect(beacon).not.toHaveBeenCalled();
    expect(next.calls.map((c) => c.gzip)).toEqual([true]);
  });

  it('forgets after a day: the collector may have been reconfigured', async () => {
    localStorage.setItem('tracelet.gzip:' + location.origin + '/v1/traces', 'no ' + (Date.now() - 25 * 3600 * 1000));
    const { t, calls } = await load(200);
    await t.send(json(1));
    expect(calls.map((c) => c.gzip)).toEqual([true]);
  });
});

describe('browserTransport compression setting', () => {
  it("'gzip': cross-origin exit bodies are gzipped before the collector ever answered", async () => {
    const beacon = vi.fn(() => true);
    vi.stubGlobal('navigator', { sendBeacon: beacon });
    const { t, calls } = await load(200, 'https://collector.example/v1/traces', { compression: 'gzip' });
    expect(t.sendAtExit(json(5))).toBe(true);
    expect(beacon).not.toHaveBeenCalled();
    expect(calls.map((c) => [c.keepalive, c.gzip])).toEqual([[true, true]]);
  });

  it("'none': plain JSON always", async () => {
    const { t, calls } = await load(200, undefined, { compression: 'none' });
    await t.send(json(3));
    vi.stubGlobal('navigator', {});
    expect(t.sendAtExit(json(3))).toBe(true);
    expect(calls.map((c) => c.gzip)).toEqual([false, false]);
  });

  it('a keepalive send left in flight at pagehide and never settled is given up when the page is restored (issue 16, bug 1)', async () => {
    vi.useFakeTimers();
    const { t, KEEPALIVE_BUDGET } = await load('never', undefined, { compression: 'none' });
    const outcome = t.send('x'.repeat(1000));
    expect(t.exitRoom()).toBe(KEEPALIVE_BUDGET - 1000);
    t.leave();
    t.restored(); // pageshow, persisted
    // Same origin: it was delivered as far as the page can tell, as when an exit cuts it.
    expect(await outcome).toEqual({ kind: 'ok' });
    vi.advanceTimersByTime(1001);
    expect(t.exitRoom()).toBe(KEEPALIVE_BUDGET);
    // A send started after the restore waits for its own answer.
    const later = t.send('y');
    let settled = false;
    void later.then(() => (settled = true));
    await vi.advanceTimersByTimeAsync(10);
    expect(settled).toBe(false);
  });

  it('a keepalive fetch rejected a moment before pagehide (Chromium, at a navigation commit) counts as delivered', async () => {
    vi.useFakeTimers();
    const { t } = await load('cut', undefined, { compression: 'none' });
    const outcome = t.send('x');
    let settled = false;
    void outcome.then(() => (settled = true));
    await vi.advanceTimersByTimeAsync(5);
    // Not believed yet: the page may be about to go.
    expect(settled).toBe(false);
    t.leave();
    await vi.advanceTimersByTimeAsync(1000);
    expect(await outcome).toEqual({ kind: 'ok' });
    // A page that stays: the network error is believed a moment later, and retried.
    t.restored();
    const staying = t.send('y');
    await vi.advanceTimersByTimeAsync(1000);
    expect(await staying).toMatchObject({ kind: 'retry', network: true });
  });

  it('cross-origin before the collector ever answered, a send given up at a restore is retried', async () => {
    const { t } = await load('never', 'https://collector.example/v1/traces', { compression: 'none' });
    const outcome = t.send('x');
    t.leave();
    t.restored();
    expect(await outcome).toMatchObject({ kind: 'retry', network: true });
  });
});
