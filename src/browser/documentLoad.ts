import { DocumentLoadInstrumentation } from '@opentelemetry/instrumentation-document-load';
import type { Instrumentation } from '@opentelemetry/instrumentation';

/** The instrumentation's private step (0.68.0) that records the page load after a timer. */
interface Internals {
  _onDocumentLoaded(): void;
  _collectPerformance(): void;
}

/** The page load: `documentLoad` with `documentFetch` and one `resourceFetch` per resource. */
export function instrumentDocumentLoad(): Instrumentation {
  // Enabled by the agent only: enabled by its constructor as well, it records the page load
  // twice when the agent starts after the load event.
  const i = new DocumentLoadInstrumentation({ enabled: false });
  const internals = i as unknown as Internals;
  const later = internals._onDocumentLoaded.bind(i);
  // The agent starts after the load event: record at once rather than after a timer, or a
  // page left in between loses its page load (the loader no longer sends it once the agent runs).
  internals._onDocumentLoaded = () =>
    (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined)?.loadEventEnd ? internals._collectPerformance() : later();
  return i;
}
