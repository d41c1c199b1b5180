import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outcomeDiffs, propagatedTraceparents, requestDiffs, runDifferential, traceHeaderProblems, USER_TP, type Differential } from './host-differential';

/*
 * Issue 8: XMLHttpRequest with the agent must behave as without it. Every shape in
 * fixtures/host-xhr-cases.js (async and sync, abort, timeout, every responseType,
 * withCredentials, request headers, misuse) runs in a page without the agent and in the same
 * page with it; the events fired (in order), what each call threw, the final state and
 * response, and what the servers received are compared.
 */

const CLIENT = 3;
let d: Differential;

beforeAll(async () => {
  // XHR spans end 300 ms after loadend.
  d = await runDifferential('host-xhr-cases.js', { settleMs: 700 });
});

afterAll(async () => {
  await d?.close();
});

describe('XMLHttpRequest: instrumented vs native, in Chromium', () => {
  it('runs every shape in both pages', () => {
    expect(d.runs.native.results.length).toBeGreaterThanOrEqual(40);
    expect(d.runs.agent.results.map((r) => r.name)).toEqual(d.runs.native.results.map((r) => r.name));
    expect([...d.runs.native.results, ...d.runs.agent.results].filter((r) => (r.result as any)?.harnessError)).toEqual([]);
  });

  it('the same events in the same order, the same exceptions from open/send/setRequestHeader, the same state and response', () => {
    expect(outcomeDiffs(d)).toEqual([]);
  });

  it('the servers receive the same requests; only trace headers differ', () => {
    expect(requestDiffs(d)).toEqual([]);
  });

  it('traceparent: added once where propagation applies, never to third parties, and a page’s own trace headers are neither replaced nor joined', () => {
    expect(traceHeaderProblems(d)).toEqual([]);
    const seen = d.state.seen.filter((s) => s.run === 'agent' && s.c === 'xhr-user-traceparent');
    expect(seen.map((s) => s.rawTrace)).toEqual([[`traceparent: ${USER_TP}`]]);
  });

  it('one CLIENT span per traced request, valid OTLP, and each propagated traceparent names its span', async () => {
    const propagated = propagatedTraceparents(d);
    expect(propagated.length).toBeGreaterThan(25);
    const receiver = d.site.receiver;
    const parentIds = () => new Set(receiver.spans.filter((x) => x.kind === CLIENT).map((x) => x.spanId));
    await receiver.waitForSpans(() => propagated.every((s) => parentIds().has(s.traceparent!.split('-')[2])), 5000).catch(() => {});
    expect(receiver.rejected).toEqual([]);
    // Nothing dropped, nothing left behind.
    expect(d.runs.agent.stats).toMatchObject({ queued: 0, dropped: { queue_full: 0, too_large: 0, export_failed: 0 } });
    const clients = receiver.spans.filter((s) => s.kind === CLIENT);
    const ids = new Set(clients.map((s) => s.spanId));
    expect(ids.size).toBe(clients.length);
    expect(propagated.filter((s) => !ids.has(s.traceparent!.split('-')[2])).map((s) => s.c)).toEqual([]);
    expect(clients.filter((s) => String(s.attributes['url.full']).endsWith('c=xhr-async-get'))).toHaveLength(1);
  });

  it('the page sees nothing new: no uncaught errors, and the same console errors with and without the agent', () => {
    expect(d.runs.native.pageErrors).toEqual([]);
    expect(d.runs.agent.pageErrors).toEqual([]);
    expect(d.runs.agent.consoleErrors).toEqual(d.runs.native.consoleErrors);
  });
});
