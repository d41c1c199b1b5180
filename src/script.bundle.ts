import { context, trace } from '@opentelemetry/api';
import { initEager } from './browser/eager';
import { getAgent, onReady } from './browser/loader/api';
import type { BrowserOptions } from './browser/options';
import { optionsFromScriptTag } from './browser/scriptTag';

/* Loader and agent in one eager file, for a single request: today's script tag. */
export { context, trace, getAgent, onReady };
export const init = (o: BrowserOptions) => initEager(o);

const fromTag = typeof document !== 'undefined' ? optionsFromScriptTag(document.currentScript) : undefined;
if (fromTag) init(fromTag);
