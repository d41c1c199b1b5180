import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outcomeDiffs, propagatedTraceparents, requestDiffs, runDifferential, traceHeaderProblems, type Differential } from '../host-differential';
import { selectedEngines, type EngineName } from '../../support/engines';
import { FIXED_BUGS } from './expect';

/*
 * Issue 16: the fetch and XHR differential batteries of issue 8 (every call shape without
 * and with the agent, compared) in Firefox and WebKit; Chromium runs them, with more
 * Chromium-specific checks, in test/e2e/host-{fetch,xhr}-differential.test.ts.
 */

const CLIENT = 3;
const BATTERIES = [
  // Spans end with their body (unread: at the headers) plus 300 ms for Resource Timing;
  // XHR spans 300 ms after loadend.
  { name: 'fetch', script: 'host-fetch-cases.js', settleMs: 900, exempt: ['redirect-to-third'] },
  { name: 'XMLHttpRequest', script: 'host-xhr-cases.js', settleMs: 700, exempt: [] },
];
/*
 * Known divergences, run with TRACELET_FIXED_BUGS=1 (they fail until fetch.ts is fixed):
 * - Firefox refuses a keepalive fetch whose body is over 64 KiB; through the agent it is sent.
 * - WebKit makes no Resource Timing entry for a fetch whose body the page cancels, aborts or
 *   locks, nor one under the URL with its #fragment: those spans wait for the 60 s limit
 *   (issue 16, bug 2), past the battery's end.
 */
const KNOWN: Partial<Record<EngineName, { outcome?: string[]; lateSpans?: string[] }>> = FIXED_BUGS
  ? {}
  : {
      firefox: { outcome: ['keepalive-too-big'] },
      webkit: { lateSpans: ['url-with-fragment', 'abort-during-body', 'response-body-locked', 'response-cancel-stream'] },
    };

const ENGINES = selectedEngines().filter((e): e is EngineName => e !== 'chromium');

for (const engine of ENGINES) {
  for (const battery of BATTERIES) {
    describe(`${battery.name}: instrumented vs native, in ${engine}`, () => {
      let d: Differential;
      beforeAll(async () => {
        d = await runDifferential(battery.script, { settleMs: battery.settleMs, engine });
      }, 300_000);
      afterAll(async () => {
        await d?.close();
      });

      it('runs every call shape in both pages', () => {
        expect(d.runs.native.results.length).toBeGreaterThanOrEqual(40);
        expect(d.runs.agent.results.map((r) => r.name)).toEqual(d.runs.native.results.map((r) => r.name));
        expect([...d.runs.native.results, ...d.runs.agent.results].filter((r) => (r.result as any)?.harnessError)).toEqual([]);
      });

      it('every call shape behaves exactly as the native one, and the servers see the same requests', () => {
        expect(outcomeDiffs(d).filter((x) => !KNOWN[engine]?.outcome?.includes(x.name))).toEqual([]);
        expect(requestDiffs(d).filter((x) => !KNOWN[engine]?.outcome?.some((c) => x.startsWith(`${c}: `)))).toEqual([]);
      });

      it('traceparent: once where propagation applies, never to third parties, the page’s own kept', () => {
        expect(traceHeaderProblems(d, battery.exempt)).toEqual([]);
      });

      it('one CLIENT span per traced request, valid OTLP, each propagated traceparent names its span, nothing dropped', async () => {
        const propagated = propagatedTraceparents(d);
        expect(propagated.length).toBeGreaterThan(25);
        const receiver = d.site.receiver;
        const ids = () => new Set(receiver.spans.filter((x) => x.kind === CLIENT).map((x) => x.spanId));
        await receiver.waitForSpans(() => propagated.every((s) => ids().has(s.traceparent!.split('-')[2])), 5000).catch(() => {});
        expect(receiver.rejected).toEqual([]);
        expect(d.runs.agent.stats).toMatchObject({ queued: 0, dropped: { queue_full: 0, too_large: 0, export_failed: 0 } });
        const clients = receiver.spans.filter((s) => s.kind === CLIENT);
        expect(new Set(clients.map((s) => s.spanId)).size).toBe(clients.length);
        const late = KNOWN[engine]?.lateSpans ?? [];
        expect(propagated.filter((s) => !ids().has(s.traceparent!.split('-')[2]) && !late.includes(s.c)).map((s) => s.c)).toEqual([]);
      });

      it('the page sees nothing new: no uncaught errors, the same console errors', () => {
        expect(d.runs.agent.pageErrors).toEqual(d.runs.native.pageErrors);
        expect(d.runs.agent.consoleErrors).toEqual(d.runs.native.consoleErrors);
      });
    });
  }
}
