import { ZoneContextManager } from '@opentelemetry/context-zone';
import { initWith, type Agent } from './browser/init';
import type { BrowserOptions } from './browser/options';

export { getAgent, type Agent } from './browser/init';
export type { BrowserOptions as Options } from './browser/options';

/**
 * `init` with the Zone context manager: context follows setTimeout, promises and event
 * handlers, so a fetch after an `await` stays the child of the span that started it.
 * Loads zone.js (Angular apps already have it).
 */
export function init(options: BrowserOptions): Agent {
  return initWith(options, { contextManager: new ZoneContextManager() });
}
