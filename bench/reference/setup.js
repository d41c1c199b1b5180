// The reference: the stock OpenTelemetry web stack set up the way its documentation shows
// (WebTracerProvider + BatchSpanProcessor + OTLPTraceExporter, registerInstrumentations
// with document-load, fetch and XHR) plus web-vitals' attribution build wired to spans.
// Built by bench/lib/build.mjs with the same rollup + terser settings as tracelet; never shipped.
import { trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { DocumentLoadInstrumentation } from '@opentelemetry/instrumentation-document-load';
import { FetchInstrumentation } from '@opentelemetry/instrumentation-fetch';
import { XMLHttpRequestInstrumentation } from '@opentelemetry/instrumentation-xml-http-request';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  WebTracerProvider,
} from '@opentelemetry/sdk-trace-web';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { onCLS, onFCP, onINP, onLCP, onTTFB } from 'web-vitals/attribution';

/**
 * Starts the stack. `o`: serviceName, endpoint, sampleRate (0..1), the BatchSpanProcessor
 * buffer options, and `spanProcessors` (extra processors: the bench counts ended spans).
 */
export function setup(contextManager, o) {
  const rate = o.sampleRate ?? 1;
  const provider = new WebTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: o.serviceName }),
    ...(rate < 1 && { sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(rate) }) }),
    spanProcessors: [
      new BatchSpanProcessor(new OTLPTraceExporter({ url: o.endpoint }), {
        ...(o.maxQueueSize && { maxQueueSize: o.maxQueueSize }),
        ...(o.maxExportBatchSize && { maxExportBatchSize: o.maxExportBatchSize }),
        ...(o.scheduledDelayMillis !== undefined && { scheduledDelayMillis: o.scheduledDelayMillis }),
      }),
      ...(o.spanProcessors ?? []),
    ],
  });
  provider.register(contextManager ? { contextManager } : {});
  const propagateTraceHeaderCorsUrls = o.propagateTo ?? [];
  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new DocumentLoadInstrumentation(),
      new FetchInstrumentation({ propagateTraceHeaderCorsUrls }),
      new XMLHttpRequestInstrumentation({ propagateTraceHeaderCorsUrls }),
    ],
  });
  const tracer = provider.getTracer('web-vitals');
  const report = (metric) => {
    const attributes = { 'web_vital.name': metric.name, 'web_vital.value': metric.value, 'web_vital.rating': metric.rating, 'web_vital.id': metric.id };
    for (const [k, v] of Object.entries(metric.attribution ?? {})) {
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') attributes['web_vital.attribution.' + k] = v;
    }
    tracer.startSpan(metric.name, { attributes }).end();
  };
  onLCP(report);
  onINP(report);
  onCLS(report);
  onFCP(report);
  onTTFB(report);
  return {
    tracer: provider.getTracer('app'),
    flush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}

export { trace };

/** Starts from the `<script data-endpoint data-service-name>` tag that loaded it, like tracelet's script build. */
export function fromScriptTag(start) {
  const d = typeof document !== 'undefined' && document.currentScript ? document.currentScript.dataset : undefined;
  if (d && d.endpoint && d.serviceName) start({ endpoint: d.endpoint, serviceName: d.serviceName });
}
