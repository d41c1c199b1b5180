import { afterAll, beforeAll, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { startSite, type Site } from '../../support/site';
import { forEachEngine, type EngineName } from '../../support/engines';
import { versionedFeatures } from './features';

/*
 * Issue 16: what each engine gives the agent, as the README's engine table says. The
 * behaviour behind each row is tested in the other suites (rum, exit, bfcache); this pins
 * the platform features, so the table cannot drift from the engines CI runs.
 */

const FIXTURES = resolve(import.meta.dirname, '../fixtures');

/** What does not change with the version CI has (see ./features.ts for what does). */
const CAPABILITIES: Record<EngineName, Record<string, boolean>> = {
  chromium: { requestIdleCallback: true, compressionStream: true, sendBeacon: true, lcp: true, layoutShift: true, eventTiming: true, paint: true },
  firefox: { requestIdleCallback: true, compressionStream: true, sendBeacon: true, lcp: true, layoutShift: false, eventTiming: true, paint: true },
  webkit: { requestIdleCallback: false, compressionStream: true, sendBeacon: true, lcp: false, layoutShift: false, eventTiming: false, paint: true },
};

let site: Site;
beforeAll(async () => {
  site = await startSite(FIXTURES);
});
afterAll(async () => {
  await site?.close();
});

forEachEngine('platform features', ({ engine, newPage }) => {
  it('has the features the README engine table lists', async () => {
    const page = await newPage();
    await page.goto(`${site.page.url}/blank.html`);
    const has = await page.evaluate(() => {
      const types: readonly string[] = PerformanceObserver.supportedEntryTypes ?? [];
      return {
        navigationApi: typeof (window as any).navigation?.addEventListener === 'function',
        interactionId: typeof PerformanceEventTiming === 'function' && 'interactionId' in PerformanceEventTiming.prototype,
        requestIdleCallback: typeof (window as any).requestIdleCallback === 'function',
        compressionStream: typeof (window as any).CompressionStream === 'function',
        sendBeacon: typeof navigator.sendBeacon === 'function',
        lcp: types.includes('largest-contentful-paint'),
        layoutShift: types.includes('layout-shift'),
        eventTiming: types.includes('event'),
        paint: types.includes('paint'),
      };
    });
    expect(has).toEqual({ ...CAPABILITIES[engine], ...(await versionedFeatures(page)) });
    await page.close();
  });
});
