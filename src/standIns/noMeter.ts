/*
 * Stands in for @opentelemetry/api's NoopMeter module in the script-tag and edge builds. Its
 * callers there are the SDK's TracerMetrics (itself replaced by noSpanMetrics.ts) and the
 * instrumentation base class, which keeps a meter that document-load never uses: about
 * 370 bytes gzip of no-op metric classes.
 */
const meter = {};

export const NOOP_METER = meter;
export const createNoopMeter = (): object => meter;
