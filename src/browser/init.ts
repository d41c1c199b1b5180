import { context, propagation, trace, type Tracer } from '@opentelemetry/api';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { WebTracerProvider } from '@opentelemetry/sdk-trace-web';
import { ExportPipeline } from '../core/pipeline';
import { PipelineSpanProcessor } from '../core/processor';
import { W3CPropagator } from '../core/propagation';
import { resourceAttributes } from '../core/resource';
import { ParentOrRootSampler } from '../core/sampler';
import type { Stats } from '../core/stats';
import { MAX_STRING_LENGTH } from '../core/otlp';
import { instrumentDocumentLoad } from './documentLoad';
import { instrumentFetch } from './fetch';
import { flushAtExit } from './exit';
import { onHidden } from './lib/onHidden';
import { UnloadStore } from './lib/unloadStore';
import { parseBrowserOptions, type BrowserOptions } from './options';
import { browserTransport } from './transport';
import { instrumentXhr } from './xhr';

export interface Agent {
  /** A tracer whose spans join the page's traces; `trace.getTracer()` works as well. */
  tracer: Tracer;
  /** Sends everything queued; resolves when each request has been answered. */
  flush(): Promise<void>;
  /** Flushes, removes the instrumentation and stops. `init` may be called again afterwards. */
  shutdown(): Promise<void>;
  /** Exported, dropped (by reason) and queued span counts. */
  stats(): Stats;
  /** False when the options were invalid: the agent does nothing. */
  readonly enabled: boolean;
}

const NOOP_STATS: Stats = {
  exported: 0,
  queued: 0,
  dropped: { queue_full: 0, too_large: 0, export_failed: 0, storage_full: 0, stale: 0, shutdown: 0 },
};

function noopAgent(): Agent {
  return {
    tracer: trace.getTracer('tracelet'),
    flush: () => Promise.resolve(),
    shutdown: () => Promise.resolve(),
    stats: () => ({ ...NOOP_STATS, dropped: { ...NOOP_STATS.dropped } }),
    enabled: false,
  };
}

let running: Agent | undefined;

/** The running agent, if `init` started one. */
export function getAgent(): Agent | undefined {
  return running;
}

/**
 * Starts tracing the page. Invalid options log one console error naming the option and
 * return an agent that does nothing; a second call returns the first agent and warns.
 */
export function init(options: BrowserOptions): Agent {
  if (running) {
    console.warn('tracelet: init() was called again; the running agent is kept and returned');
    return running;
  }
  try {
    return (running = start(options));
  } catch (e) {
    console.error((e as Error)?.message ?? e);
    return noopAgent();
  }
}

function start(options: BrowserOptions): Agent {
  const config = parseBrowserOptions(options, location.href);
  const transport = browserTransport(config.endpoint, config.headers);
  const pipeline = new ExportPipeline({
    resource: resourceAttributes(config, { 'user_agent.original': navigator.userAgent }),
    transport,
    maxQueueSize: config.maxQueueSize,
    maxExportBatchSize: config.maxExportBatchSize,
    scheduledDelayMillis: config.scheduledDelayMillis,
  });
  // One decision per page view for now; sessions (per-visit decisions) build on it.
  const sampled = Math.random() < config.sampleRate;
  const provider = new WebTracerProvider({
    sampler: new ParentOrRootSampler(() => sampled),
    spanProcessors: [new PipelineSpanProcessor(pipeline)],
    spanLimits: { attributeValueLengthLimit: MAX_STRING_LENGTH, attributeCountLimit: 128 },
  });
  provider.register({ propagator: new W3CPropagator() });

  const instrumentations: Instrumentation[] = [instrumentDocumentLoad(), instrumentFetch(config), instrumentXhr(config)];
  for (const i of instrumentations) {
    i.setTracerProvider(provider);
    i.enable();
  }
  // Spans an earlier page view could not send at its exit go first.
  const store = new UnloadStore('tracelet:' + config.endpoint, pipeline.drops);
  pipeline.requeueItems(store.take());
  const stopHidden = onHidden((e) => flushAtExit(pipeline, transport, store, e.type === 'pagehide'));
  // A page restored from the bfcache takes back what it stored when it was hidden.
  const onShow = (e: PageTransitionEvent) => {
    if (e.persisted) pipeline.requeueItems(store.take());
  };
  // The page we came from may store its leftovers after this page started (Chromium runs
  // the old page's pagehide in another process, concurrently): pick them up as they land.
  const onStorage = (e: StorageEvent) => {
    if (e.key === store.key && e.newValue) pipeline.requeueItems(store.take());
  };
  addEventListener('pageshow', onShow);
  addEventListener('storage', onStorage);

  const agent: Agent = {
    tracer: provider.getTracer('tracelet'),
    flush: () => pipeline.flush(),
    stats: () => pipeline.stats(),
    enabled: true,
    async shutdown() {
      if (running !== agent) return;
      stopHidden();
      removeEventListener('pageshow', onShow);
      removeEventListener('storage', onStorage);
      for (const i of instrumentations) i.disable();
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
      running = undefined;
    },
  };
  return agent;
}
