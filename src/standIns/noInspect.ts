/*
 * Stands in for the SDK's inspect.js (Node's `util.inspect` hook on spans, tracers and
 * providers) in the script-tag builds: browsers never call it.
 */
export const inspectCustom = Symbol.for('nodejs.util.inspect.custom');
export const formatInspect = (_name: string, payload: unknown): unknown => payload;
export const settledResourceAttributes = (): object => ({});
