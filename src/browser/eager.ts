import { checkedConfig, startAgent, type StartExtras } from './agent/start';
import { boot, initWith, type Tracelet } from './loader/api';
import type { BrowserOptions } from './options';

/** Loader and agent in one file, started together (the bundle and the Zone builds). */
export function initEager(options: BrowserOptions, extras: StartExtras = {}): Tracelet {
  const t = initWith(options, () => {});
  boot((h) => startAgent(h, extras), checkedConfig);
  return t;
}
