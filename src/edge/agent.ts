import { context, propagation, trace, type Attributes } from '@opentelemetry/api';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { ConfigError } from '../core/config';
import { MAX_STRING_LENGTH } from '../core/otlp';
import { ExportPipeline } from '../core/pipeline';
import { PipelineSpanProcessor } from '../core/processor';
import { FormatsPropagator } from '../core/formats';
import { logsEndpoint } from '../core/otlpLogs';
import { resourceAttributes } from '../core/resource';
import { RateLimiter, rateLimitedRoot } from '../core/rateLimit';
import { ParentOrRootSampler, traceIdRatio } from '../core/sampler';
import { parseEdgeOptions, type EdgeConfig } from './config';
import { edgeContext } from './context';
import { installFetch } from './fetch';
import { pooledIdGenerator } from '../core/ids';
import { edgeTransport } from './transport';
import { LogExporter, installConsole } from './logs';
import type { AgentOptions, EdgeAgent } from './types';

export type { AgentOptions, EdgeAgent };

let registered = false;

/**
 * Largest export body on the edge. The browser's 60 KiB is the keepalive and beacon limit,
 * which no server runtime has: under load Deno sent a batch every ~120 spans, with a fetch and
 * a gzip stream each. With this, batches fill to maxExportBatchSize (512 typical spans are
 * ~250 KB of JSON), a quarter of the export requests; a collector that refuses one as too
 * large (413) gets it split in halves.
 */
export const EDGE_MAX_BATCH_BYTES = 1024 * 1024;

/**
 * Makes `trace.getTracer()`, `context.active()` and `propagation` of @opentelemetry/api work
 * inside handlers. First agent wins; a provider someone else registered is left alone.
 */
function registerGlobals(provider: BasicTracerProvider, config: EdgeConfig): void {
  if (registered) return;
  registered = true;
  context.setGlobalContextManager(edgeContext);
  trace.setGlobalTracerProvider(provider);
  propagation.setGlobalPropagator(new FormatsPropagator(config.propagators));
}

/**
 * `sampleRate`, then `maxTracesPerSecond`: roots beyond the rate are unsampled and counted.
 * The count rides with the next export; with timers (Deno) one is scheduled, since a burst
 * that ends unsampled leaves no span to carry it. (Workers flush after every event.)
 */
function rootDecision(config: EdgeConfig, pipeline: ExportPipeline, timers: boolean): (traceId: string) => boolean {
  const ratio = traceIdRatio(config.sampleRate);
  if (config.maxTracesPerSecond === undefined) return ratio;
  let reportDue = false;
  return rateLimitedRoot(ratio, new RateLimiter(config.maxTracesPerSecond), () => {
    pipeline.drops.add('rate_limited');
    if (!timers || reportDue) return;
    reportDue = true;
    setTimeout(() => {
      reportDue = false;
      pipeline.flush().catch(() => {});
    }, config.scheduledDelayMillis);
  });
}

export function createAgent(config: EdgeConfig, runtime: Attributes, { transport, logsTransport, timers = true, gzip }: AgentOptions = {}): EdgeAgent {
  const resource = resourceAttributes(config, runtime);
  const transportTo = (endpoint: string) =>
    edgeTransport({ endpoint, headers: config.headers, timeoutMs: config.exportTimeoutMillis, compression: config.compression, gzip });
  const pipeline = new ExportPipeline({
    timers,
    resource,
    transport: transport ?? transportTo(config.endpoint),
    maxQueueSize: config.maxQueueSize,
    maxExportBatchSize: config.maxExportBatchSize,
    scheduledDelayMillis: config.scheduledDelayMillis,
    maxBatchBytes: EDGE_MAX_BATCH_BYTES,
  });
  const provider = new BasicTracerProvider({
    sampler: new ParentOrRootSampler(rootDecision(config, pipeline, timers), { randomTraceIdFlag: config.randomTraceIdFlag }),
    spanProcessors: [new PipelineSpanProcessor(pipeline)],
    idGenerator: pooledIdGenerator,
    spanLimits: { attributeValueLengthLimit: MAX_STRING_LENGTH, attributeCountLimit: 128 },
  });
  registerGlobals(provider, config);
  installFetch();
  const logs = config.logs ? new LogExporter(config, resource, timers, logsTransport ?? transportTo(logsEndpoint(config.endpoint))) : undefined;
  if (logs) installConsole();
  // Logs go out with the spans: one flush sends both.
  const flushLogs = () => logs?.flush() ?? Promise.resolve();
  return {
    config,
    tracer: provider.getTracer('tracelet'),
    logs,
    flush: () => Promise.all([pipeline.flush().catch(() => {}), flushLogs()]).then(() => {}),
    flushUnlessBusy: () =>
      Promise.all([pipeline.busy ? undefined : pipeline.flush().catch(() => {}), logs?.busy ? undefined : flushLogs()]).then(() => {}),
    stats: () => pipeline.stats(),
    shutdown: () => Promise.all([provider.shutdown().catch(() => {}), flushLogs()]).then(() => {}),
  };
}

/**
 * An agent for `options`, or undefined after one console.error naming the bad option:
 * a wrapper with a bad configuration runs its handler untraced and never throws.
 */
export function startAgent(options: unknown, runtime: Attributes, agentOptions?: AgentOptions): EdgeAgent | undefined {
  try {
    return createAgent(parseEdgeOptions(options), runtime, agentOptions);
  } catch (e) {
    console.error(e instanceof ConfigError ? e.message : `tracelet: tracing is off: ${String(e)}`);
    return undefined;
  }
}
