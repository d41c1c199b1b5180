import type { Browser, Page } from 'playwright-core';
import { collectPageProblems, launchChromium } from '../chromium';
import { pollPage } from './poll';
import type { EngineBrowser, EnginePage, LaunchOptions, PageFunction } from './types';

/** Chromium through playwright-core, with test/support/chromium.ts's flags and containment. */
export async function launchChromiumEngine(opts: LaunchOptions = {}): Promise<EngineBrowser> {
  const browser: Browser = await launchChromium({ backForwardCache: opts.backForwardCache });
  return {
    engine: 'chromium',
    async newPage() {
      // A context per page, left open when the tab closes: closing a context cancels its
      // requests in flight, which no real tab close does.
      return wrap(await (await browser.newContext()).newPage());
    },
    close: () => browser.close(),
  };
}

function wrap(page: Page): EnginePage {
  const { errors } = collectPageProblems(page);
  const evaluate = <R, A>(fn: PageFunction<A, R>, arg?: A): Promise<R> => page.evaluate(fn as any, arg) as Promise<R>;
  return {
    engine: 'chromium',
    problems: errors,
    seesProblems: true,
    async goto(url) {
      await page.goto(url);
    },
    evaluate,
    waitFor: (fn, arg, opts) => pollPage('chromium', evaluate, fn, arg, opts),
    click: (selector) => page.click(selector),
    async back() {
      await page.evaluate(() => setTimeout(() => history.back(), 0));
    },
    close: () => page.close({ runBeforeUnload: true }),
  };
}
