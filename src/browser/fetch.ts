import { FetchInstrumentation } from '@opentelemetry/instrumentation-fetch';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import type { BrowserConfig } from './options';

/** A CLIENT span per `fetch`; `traceparent` only to the same origin and `propagateTo`. */
export function instrumentFetch(config: BrowserConfig): Instrumentation {
  return new FetchInstrumentation({
    propagateTraceHeaderCorsUrls: config.propagateTo,
    ignoreUrls: config.ignoreUrls,
  });
}
