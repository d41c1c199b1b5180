/*
 * The origin's OpenTelemetry setup, loaded before the app with `node --import`, the way the
 * OpenTelemetry JS docs set up an ES-module app (doc/esm-support.md): the import-in-the-middle
 * hook first, then the stock Node SDK pieces as their READMEs configure them. Nothing here is
 * tracelet: this is what a team's own backend already runs.
 *
 *   NodeTracerProvider        @opentelemetry/sdk-trace-node (ParentBased(AlwaysOn) sampler by default)
 *   HttpInstrumentation       @opentelemetry/instrumentation-http (SERVER span per request,
 *                             continues the incoming W3C traceparent and honours its sampled flag)
 *   OTLPTraceExporter         @opentelemetry/exporter-trace-otlp-http, OTLP/HTTP JSON; the URL comes
 *                             from OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, as in any deployment
 */
import { register } from 'node:module';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);

export const provider = new NodeTracerProvider({
  resource: resourceFromAttributes({ 'service.name': 'shop-origin', 'service.version': '1.0.0', 'deployment.environment.name': 'demo' }),
  // Sooner than the 5 s default, so the trace view fills while you watch.
  spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter(), { scheduledDelayMillis: 500 })],
});
provider.register();

registerInstrumentations({
  instrumentations: [new HttpInstrumentation()],
});

// Flush what is queued before the demo closes the receiver (run.mjs stops us first).
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, () => {
    provider.shutdown().finally(() => process.exit(0));
  });
}
