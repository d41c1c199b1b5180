import { XMLHttpRequestInstrumentation } from '@opentelemetry/instrumentation-xml-http-request';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import type { BrowserConfig } from './options';

/** A CLIENT span per XMLHttpRequest; `traceparent` only to the same origin and `propagateTo`. */
export function instrumentXhr(config: BrowserConfig): Instrumentation {
  return new XMLHttpRequestInstrumentation({
    propagateTraceHeaderCorsUrls: config.propagateTo,
    ignoreUrls: config.ignoreUrls,
  });
}
