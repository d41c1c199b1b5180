import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { expectEarlyRequests, startEarlySite, type EarlySite } from '../../support/early';
import { forEachEngine } from '../../support/engines';
import type { ReceivedSpan } from '../../support/otlpReceiver';
import { quiet, summary } from './expect';

/*
 * Issue 12, in every engine: a visit that ends before the agent came (its file held back
 * for 30 s; the page navigates away, or its tab is closed) is delivered by the loader
 * itself: the page load, the early requests with the ids their server received, the error,
 * and the vitals the engine has, each once.
 */

const FIXTURES = resolve(import.meta.dirname, '../fixtures');
const CLIENT = 3; // OTLP SpanKind
/** What the loader sends at an exit: LCP only where the engine has it (not WebKit). */
const WANTED = { chromium: ['LCP'], firefox: ['LCP'], webkit: [] as string[] };

let early: EarlySite;

beforeAll(async () => {
  early = await startEarlySite(FIXTURES);
});
afterAll(async () => {
  await early?.close();
});
beforeEach(async () => {
  await quiet(early.site.receiver);
  early.reset();
});

const count = (spans: ReceivedSpan[], name: string) => spans.filter((s) => s.name === name).length;

for (const where of ['same-origin', 'cross-origin'] as const) {
  forEachEngine(`the loader before its agent, ${where} endpoint,`, ({ engine, newPage }) => {
    for (const how of ['left', 'closed'] as const) {
      it(`a page ${how} 200 ms after its load event, before the agent came: the loader delivers it all, once`, async () => {
        const { site, api, third } = early;
        const endpoint = where === 'same-origin' ? site.sameOriginEndpoint : site.receiver.url;
        const page = await newPage();
        await page.goto(early.url(endpoint, '/agent.js?delay=30000'));
        expect(await page.evaluate(() => (window as any).early)).toEqual([200, 200, 200]);
        await page.waitFor(() => document.readyState === 'complete');
        await new Promise((r) => setTimeout(r, 200));
        expect(await page.evaluate(() => (window as any).Tracelet.getAgent() === undefined)).toBe(true);
        if (how === 'left') await page.goto(`${site.page.url}/blank.html`);
        else await page.close();
        const wanted = ['documentLoad', 'documentFetch', 'exception', 'TTFB', 'FCP', ...WANTED[engine]];
        const spans = await site.receiver
          .waitForSpans((s) => wanted.every((n) => s.some((x) => x.name === n)) && s.filter((x) => x.kind === CLIENT).length >= 3, 15_000)
          .catch(() => site.receiver.spans);
        expect(wanted.map((n) => `${n} ${count(spans, n)}`), `spans arrived exactly once; requests: ${summary(site.receiver)}; got ${site.receiver.spans.map((s) => s.name)}`).toEqual(wanted.map((n) => `${n} 1`));
        expectEarlyRequests(spans, api, third);
        const load = spans.find((s) => s.name === 'documentLoad')!;
        expect(spans.find((s) => s.name === 'documentFetch')!.parentSpanId).toBe(load.spanId);
        expect(load.resource).toMatchObject({ 'service.name': 'early', 'telemetry.sdk.name': 'tracelet', 'telemetry.sdk.language': 'webjs' });
        expect(spans.find((s) => s.name === 'FCP')!.attributes['web_vital.rating']).toMatch(/good|needs-improvement|poor/);
        // Nothing twice, even a moment later.
        await quiet(site.receiver);
        expect(site.receiver.spans.filter((s) => s.kind === CLIENT)).toHaveLength(3);
        expect(site.receiver.rejected).toEqual([]);
        if (how === 'left') await page.close();
      });
    }
  });
}
