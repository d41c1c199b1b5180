import type { EngineName, EnginePage } from '../../support/engines';

/*
 * Platform features that depend on the engine's version, not just on the engine. Debian
 * bookworm has shipped Firefox 140 ESR and 153 ESR as `firefox-esr`: CI gets whichever its
 * mirror has, and the suites expect what that version does.
 */

/** Firefox versions that first ship a feature (MDN / release notes). */
const FIREFOX_SINCE = {
  /** Event Timing's `interactionId`, without which web-vitals reports no INP (Firefox 144). */
  interactionId: 144,
  /** The Navigation API; before it, route changes come from the History API fallback (Firefox 147). */
  navigationApi: 147,
};

/** The engine's version-dependent features, read from the page's user agent. */
export async function versionedFeatures(page: EnginePage): Promise<{ interactionId: boolean; navigationApi: boolean }> {
  const firefox = Number((await page.evaluate(() => navigator.userAgent)).match(/Firefox\/(\d+)/)?.[1]);
  const since = (n: number) => (page.engine === 'firefox' ? firefox >= n : FIXED[page.engine]);
  return { interactionId: since(FIREFOX_SINCE.interactionId), navigationApi: since(FIREFOX_SINCE.navigationApi) };
}

/** The other engines, as CI runs them (Debian's chromium, WebKitGTK 2.50): both features, or neither. */
const FIXED: Record<Exclude<EngineName, 'firefox'>, boolean> = { chromium: true, webkit: false };
