import { init } from './zone';
import { optionsFromScriptTag } from './browser/scriptTag';

// The API for app spans, so a script-tag page needs no second copy of it.
export { context, trace } from '@opentelemetry/api';
export { init, getAgent, onReady } from './zone';

const fromTag = typeof document !== 'undefined' ? optionsFromScriptTag(document.currentScript) : undefined;
if (fromTag) init(fromTag);
