import { init } from './browser/init';
import { optionsFromScriptTag } from './browser/scriptTag';

export { init, getAgent } from './browser/init';

// `document.currentScript` is only set while this classic script first runs.
const fromTag = typeof document !== 'undefined' ? optionsFromScriptTag(document.currentScript) : undefined;
if (fromTag) init(fromTag);
