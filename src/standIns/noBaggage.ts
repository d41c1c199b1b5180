/*
 * Stands in for @opentelemetry/api's baggage helpers in the script-tag builds. The API's
 * `propagation` object carries them, and nothing in a script-tag page reaches that object:
 * the page's `Tracelet` exposes `trace` and `context` only, an app's own copy of the API has
 * its own helpers, and the agent itself only extracts a traceparent (document-load) and
 * registers its propagator. What they would do is done without baggage: none is read or
 * kept. A Baggage implementation that never runs: about 120 bytes gzip of the agent.
 */
import type { Baggage, Context } from '@opentelemetry/api';

export const getBaggage = (): Baggage | undefined => undefined;
export const getActiveBaggage = getBaggage;
export const setBaggage = (context: Context): Context => context;
export const deleteBaggage = setBaggage;
export const createBaggage = (): Baggage => {
  throw new Error('tracelet: baggage is not bundled in the script-tag builds');
};
export const baggageEntryMetadataFromString = createBaggage;
