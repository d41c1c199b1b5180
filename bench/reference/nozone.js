// Reference stack without Zone.js: WebTracerProvider's default StackContextManager.
import { fromScriptTag, setup } from './setup.js';

export { trace } from './setup.js';
export const init = (o) => setup(undefined, o);
fromScriptTag(init);
