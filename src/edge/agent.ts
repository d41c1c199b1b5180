import { context, propagation, trace, type Attributes, type Tracer } from '@opentelemetry/api';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { ConfigError } from '../core/config';
import { MAX_STRING_LENGTH } from '../core/otlp';
import { ExportPipeline } from '../core/pipeline';
import { PipelineSpanProcessor } from '../core/processor';
import { FormatsPropagator } from '../core/formats';
import { resourceAttributes } from '../core/resource';
import { RateLimiter, rateLimitedRoot } from '../core/rateLimit';
import { ParentOrRootSampler, traceIdRatio } from '../core/sampler';
import type { Stats } from '../core/stats';
import type { Transport } from '../core/transport';
import { parseEdgeOptions, type EdgeConfig } from './config';
import { edgeContext } from './context';
import { installFetch } from './fetch';
import { pooledIdGenerator } from '../core/ids';
import { edgeTransport } from './transport';

/** One tracer provider and export pipeline, shared by every request its handler serves. */
export interface EdgeAgent {
  readonly config: EdgeConfig;
  readonly tracer: Tracer;
  /** Sends everything queued; resolves (never rejects) when each export has been answered. */
  flush(): Promise<void>;
  /**
   * `flush()`, unless an export is in flight already: its `flush()` sends what queued
   * meanwhile. For Workers, where awaiting another request's I/O draws a warning from
   * workerd and may lose the continuation.
   */
  flushUnlessBusy(): Promise<void>;
  stats(): Stats;
  shutdown(): Promise<void>;
}

let registered = false;

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

export interface AgentOptions {
  /** Replaces the OTLP transport (tests). */
  transport?: Transport;
  /** False on Workers: exports only from `flush()` inside `waitUntil`, never from a timer. Default true. */
  timers?: boolean;
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

export function createAgent(config: EdgeConfig, runtime: Attributes, { transport, timers = true }: AgentOptions = {}): EdgeAgent {
  const pipeline = new ExportPipeline({
    timers,
    resource: resourceAttributes(config, runtime),
    transport:
      transport ??
      edgeTransport({ endpoint: config.endpoint, headers: config.headers, timeoutMs: config.exportTimeoutMillis, compression: config.compression }),
    maxQueueSize: config.maxQueueSize,
    maxExportBatchSize: config.maxExportBatchSize,
    scheduledDelayMillis: config.scheduledDelayMillis,
  });
  const provider = new BasicTracerProvider({
    sampler: new ParentOrRootSampler(rootDecision(config, pipeline, timers), { randomTraceIdFlag: config.randomTraceIdFlag }),
    spanProcessors: [new PipelineSpanProcessor(pipeline)],
    idGenerator: pooledIdGenerator,
    spanLimits: { attributeValueLengthLimit: MAX_STRING_LENGTH, attributeCountLimit: 128 },
  });
  registerGlobals(provider, config);
  installFetch();
  return {
    config,
    tracer: provider.getTracer('tracelet'),
    flush: () => pipeline.flush().catch(() => {}),
    flushUnlessBusy: () => (pipeline.busy ? Promise.resolve() : pipeline.flush().catch(() => {})),
    stats: () => pipeline.stats(),
    shutdown: () => provider.shutdown().catch(() => {}),
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
