import { DocumentLoadInstrumentation } from '@opentelemetry/instrumentation-document-load';
import type { Instrumentation } from '@opentelemetry/instrumentation';

/** The page load: `documentLoad` with `documentFetch` and one `resourceFetch` per resource. */
export function instrumentDocumentLoad(): Instrumentation {
  return new DocumentLoadInstrumentation();
}
