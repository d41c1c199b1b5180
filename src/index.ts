import { boot, initWith, type Tracelet } from './browser/loader/api';
import type { BrowserOptions } from './browser/options';

export { getAgent, onReady, type Tracelet } from './browser/loader/api';
export type { Agent } from './browser/agent/types';
export type { BrowserOptions as Options } from './browser/options';
export type { Stats, DropReason } from './core/stats';
export { ConfigError } from './core/configError';

/**
 * Starts tracing the page in two stages: what runs now is the loader's capture (fetch,
 * XHR, errors, route changes); the agent comes by a dynamic `import()` — its own chunk in
 * the app's bundle — when the page is idle, and adopts what was captured.
 */
export function init(options: BrowserOptions): Tracelet {
  return initWith(options, () =>
    import('./browser/agent/start').then(
      (m) => boot((h) => m.startAgent(h), m.checkedConfig),
      () => {
        // The chunk did not load: the loader keeps delivering at exit.
      },
    ),
    // The loader's exit delivery, a chunk of its own asked for at once: the app's first
    // chunk then holds the capture alone.
    (use) =>
      void import('./browser/loader/exit').then(
        (m) => use(m.watchExit),
        () => {},
      ),
  );
}
