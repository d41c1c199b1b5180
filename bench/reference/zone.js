// Reference stack with Zone.js context (@opentelemetry/context-zone): the documented default.
import { ZoneContextManager } from '@opentelemetry/context-zone';
import { fromScriptTag, setup } from './setup.js';

export { trace } from './setup.js';
export const init = (o) => setup(new ZoneContextManager(), o);
fromScriptTag(init);
