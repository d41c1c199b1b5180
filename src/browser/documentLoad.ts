import { DocumentLoadInstrumentation } from '@opentelemetry/instrumentation-document-load';
import type { Instrumentation } from '@opentelemetry/instrumentation';

/** The page load: `documentLoad` with `documentFetch` and one `resourceFetch` per resource. */
export function instrumentDocumentLoad(): Instrumentation {
  // Enabled by init() only: enabled by its constructor as well, it records the page load twice
  // when the agent starts after the load event.
  return new DocumentLoadInstrumentation({ enabled: false });
}
