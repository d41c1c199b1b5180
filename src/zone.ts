import { ZoneContextManager } from '@opentelemetry/context-zone';
import { initEager } from './browser/eager';
import type { Tracelet } from './browser/loader/api';
import type { BrowserOptions } from './browser/options';

export { getAgent, onReady, type Tracelet } from './browser/loader/api';
export type { Agent } from './browser/agent/types';
export type { BrowserOptions as Options } from './browser/options';

/**
 * `init` with the Zone context manager: context follows setTimeout, promises and event
 * handlers, so a fetch after an `await` stays the child of the span that started it.
 * Loads zone.js (Angular apps already have it), and starts the agent at once: one file.
 */
export function init(options: BrowserOptions): Tracelet {
  return initEager(options, { contextManager: new ZoneContextManager() });
}
