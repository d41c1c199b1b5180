import { boot, getAgent, initWith, onReady, type Tracelet } from './browser/loader/api';
import type { BrowserOptions } from './browser/options';
import { watchExit } from './browser/loader/exit';
import { scriptAgentLoader } from './browser/loader/index';
import { LENT } from './browser/loader/lent';
import { optionsFromScriptTag } from './browser/scriptTag';
import { VERSION } from './core/version';

/*
 * The script tag's loader: about a kilobyte that captures from its first run and loads the
 * agent (tracelet.agent.min.js beside it, or data-agent-src) when the page is idle.
 */
const w = window as unknown as { Tracelet?: object };
// `document.currentScript` is only set while this classic script first runs.
const script = document.currentScript as HTMLScriptElement | null;
const fromTag = optionsFromScriptTag(script);
let api = w.Tracelet as { init(o: BrowserOptions): Tracelet } | undefined;
if (!api) {
  const load = scriptAgentLoader(script);
  // The agent takes its lent modules (loader/lent.ts) and the hub from a loader of its own version only.
  // Its own exit delivery is in this file: a visit still arrives when the agent never does.
  const own = { init: (o: BrowserOptions) => initWith(o, load, (use) => use(watchExit)), onReady, getAgent, __boot: boot, __lib: LENT, __v: VERSION };
  api = w.Tracelet = own;
}
// A second loader tag starts nothing of its own: its options go to the first (which warns).
if (fromTag) api.init(fromTag);
