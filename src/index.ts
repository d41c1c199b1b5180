export { init, getAgent, type Agent } from './browser/init';
export type { BrowserOptions as Options } from './browser/options';
export type { Stats, DropReason } from './core/stats';
export { ConfigError } from './core/config';
