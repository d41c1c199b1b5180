// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest';

interface Call {
  keepalive: boolean;
  bytes: number;
}

/**
 * browserTransport over a fetch that fails (as an exit cuts it), answers 200, or never settles
 * (as WebKit leaves one after a bfcache restore), loaded fresh so it captures the stub.
 */
async function load(answer: 'ok' | 'cut' | 'never', endpoint = location.origin + '/v1/traces') {
  const calls: Call[] = [];
  vi.stubGlobal('fetch', (_url: string, init: RequestInit) => {
    calls.push({ keepalive: init.keepalive === true, bytes: String(init.body).length });
    if (answer === 'never') return new Promise(() => {});
    return answer === 'ok' ? Promise.resolve(new Response('{}', { status: 200 })) : Promise.reject(new TypeError('Failed to fetch'));
  });
  vi.resetModules();
  const { browserTransport, KEEPALIVE_BUDGET } = await import('../../src/browser/transport');
  // Same origin as the page by default: no preflight.
  return { t: browserTransport(endpoint, {}), calls, KEEPALIVE_BUDGET };
}

afterEach(() => {
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

describe('browserTransport', () => {
  it('a keepalive send cut by the exit counts as delivered; a plain one (past the budget) does not', async () => {
    const { t, calls, KEEPALIVE_BUDGET } = await load('cut');
    t.leaving = true;
    expect(await t.send('x'.repeat(1000))).toEqual({ kind: 'ok' });
    expect(await t.send('x'.repeat(KEEPALIVE_BUDGET + 1))).toMatchObject({ kind: 'retry', network: true });
    expect(calls.map((c) => c.keepalive)).toEqual([true, false]);
    // Before the exit, a network failure is always retried.
    t.leaving = false;
    expect(await t.send('x')).toMatchObject({ kind: 'retry' });
  });

  it('exitRoom shrinks by what was handed over and frees after the hold', async () => {
    vi.useFakeTimers();
    vi.stubGlobal('navigator', { sendBeacon: () => true });
    const { t, KEEPALIVE_BUDGET } = await load('ok');
    expect(t.exitRoom()).toBe(KEEPALIVE_BUDGET);
    expect(t.sendAtExit('x'.repeat(60_000))).toBe(true);
    expect(t.exitRoom()).toBe(KEEPALIVE_BUDGET - 60_000);
    expect(t.sendAtExit('x'.repeat(t.exitRoom() + 1))).toBe(false);
    expect(t.sendAtExit('x'.repeat(t.exitRoom()))).toBe(true);
    expect(t.exitRoom()).toBe(0);
    vi.advanceTimersByTime(3001);
    expect(t.exitRoom()).toBe(KEEPALIVE_BUDGET);
  });

  it('a keepalive send left in flight at pagehide and never settled is given up when the page is restored (issue 16, bug 1)', async () => {
    vi.useFakeTimers();
    const { t, KEEPALIVE_BUDGET } = await load('never');
    const outcome = t.send('x'.repeat(1000));
    expect(t.exitRoom()).toBe(KEEPALIVE_BUDGET - 1000);
    t.leaving = true;
    t.leaving = false; // pageshow, persisted
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

  it('cross-origin before the collector ever answered, a send given up at a restore is retried', async () => {
    const { t } = await load('never', 'https://collector.example/v1/traces');
    const outcome = t.send('x');
    t.leaving = true;
    t.leaving = false;
    expect(await outcome).toMatchObject({ kind: 'retry', network: true });
  });
});
