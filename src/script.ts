import { init } from './browser/init';
import { optionsFromScriptTag } from './browser/scriptTag';

// The API for app spans, so a script-tag page needs no second copy of it.
export { context, trace } from '@opentelemetry/api';
export { init, getAgent } from './browser/init';

// `document.currentScript` is only set while this classic script first runs.
const fromTag = typeof document !== 'undefined' ? optionsFromScriptTag(document.currentScript) : undefined;
if (fromTag) init(fromTag);
