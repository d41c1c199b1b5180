import { init } from './zone';
import { optionsFromScriptTag } from './browser/scriptTag';

export { init, getAgent } from './zone';

const fromTag = typeof document !== 'undefined' ? optionsFromScriptTag(document.currentScript) : undefined;
if (fromTag) init(fromTag);
