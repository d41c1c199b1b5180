import { afterAll, describe } from 'vitest';
import { launchChromiumEngine } from './chromium';
import { launchFirefoxEngine } from './firefox';
import { launchWebKitEngine } from './webkit';
import type { EngineBrowser, EngineName, EnginePage, LaunchOptions } from './types';
import type { OtlpReceiver, ReceivedSpan } from '../otlpReceiver';

export type { EngineBrowser, EngineName, EnginePage, LaunchOptions } from './types';

const LAUNCH: Record<EngineName, (opts?: LaunchOptions) => Promise<EngineBrowser>> = {
  chromium: launchChromiumEngine,
  firefox: launchFirefoxEngine,
  webkit: launchWebKitEngine,
};

export const ALL_ENGINES: readonly EngineName[] = ['chromium', 'firefox', 'webkit'];

/**
 * The engines to run: all three, or those named in TRACELET_ENGINES (comma-separated), to
 * run one engine while working on it.
 */
export function selectedEngines(): EngineName[] {
  const only = process.env.TRACELET_ENGINES?.split(',').map((s) => s.trim()).filter(Boolean);
  if (!only?.length) return [...ALL_ENGINES];
  const unknown = only.filter((e) => !ALL_ENGINES.includes(e as EngineName));
  if (unknown.length) throw new Error(`TRACELET_ENGINES: unknown engine ${unknown.join(', ')} (known: ${ALL_ENGINES.join(', ')})`);
  return only as EngineName[];
}

export function launchEngine(engine: EngineName, opts: LaunchOptions = {}): Promise<EngineBrowser> {
  return LAUNCH[engine](opts);
}

/**
 * Declares `describe('<name> in <engine>')` for each engine, so a new e2e test covers all
 * three by default and a failure names its engine. `body` registers hooks and tests; the
 * engine's browser is launched lazily, once, by the `browser()` it is handed, and closed
 * after the block.
 */
export function forEachEngine(
  name: string,
  body: (ctx: { engine: EngineName; browser: () => Promise<EngineBrowser>; newPage: () => Promise<EnginePage> }) => void,
  opts: LaunchOptions & { engines?: EngineName[] } = {},
): void {
  for (const engine of opts.engines ?? selectedEngines()) {
    describe(`${name} in ${engine}`, () => {
      let launched: Promise<EngineBrowser> | undefined;
      const browser = () => (launched ??= launchEngine(engine, opts));
      const newPage = async () => (await browser()).newPage();
      body({ engine, browser, newPage });
      afterAll(async () => {
        if (launched) await (await launched).close();
      });
    });
  }
}

/** Polls `Tracelet.getAgent()` (global build) until the agent is there: the loader may start it late. */
export async function waitForAgent(page: EnginePage, timeout = 15_000): Promise<void> {
  await page.waitFor(() => !!(window as any).Tracelet?.getAgent?.(), undefined, { timeout, what: 'Tracelet.getAgent()' });
}

/** Flushes the running agent: everything queued leaves and is answered. */
export async function flushAgent(page: EnginePage): Promise<void> {
  await waitForAgent(page);
  await page.evaluate(() => (window as any).Tracelet.getAgent().flush());
}

/**
 * Flushes the page's agent until the receiver's spans satisfy `predicate` (spans end a
 * moment after their request, when the engine's resource timing is in); bounded.
 */
export async function flushUntil(
  page: EnginePage,
  receiver: OtlpReceiver,
  predicate: (spans: ReceivedSpan[]) => boolean,
  timeout = 15_000,
): Promise<ReceivedSpan[]> {
  const until = Date.now() + timeout;
  while (!predicate(receiver.spans)) {
    if (Date.now() > until) return receiver.waitForSpans(predicate, 1);
    await flushAgent(page).catch(() => {});
    if (!predicate(receiver.spans)) await new Promise((r) => setTimeout(r, 150));
  }
  return receiver.spans;
}
