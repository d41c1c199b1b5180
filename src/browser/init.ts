import { context, propagation, trace, type ContextManager, type Tracer } from '@opentelemetry/api';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { emptyResource } from '@opentelemetry/resources';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { StackContextManager } from '@opentelemetry/sdk-trace-web';
import { ExportPipeline } from '../core/pipeline';
import { PipelineSpanProcessor } from '../core/processor';
import { W3CPropagator } from '../core/propagation';
import { resourceAttributes } from '../core/resource';
import { ParentOrRootSampler } from '../core/sampler';
import type { Stats } from '../core/stats';
import { MAX_STRING_LENGTH } from '../core/otlp';
import { instrumentDocumentLoad } from './documentLoad';
import { instrumentFetch } from './fetch';
import { pooledIdGenerator, randomHex } from '../core/ids';
import { instrumentErrors } from './errors';
import { flushAtExit } from './exit';
import { listen } from './lib/listen';
import { whenIdle } from './lib/whenIdle';
import { onHidden } from './lib/onHidden';
import { UnloadStore } from './lib/unloadStore';
import { PageContextManager } from './lib/pageContext';
import { exposePageTraceparent, pageTraceparent } from './pageTraceparent';
import { instrumentRouteChanges } from './routeChange';
import { Session } from './session';
import { instrumentWebVitals } from './webVitals';
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
  /** Exported, dropped (by reason) and queued span counts, and errors not recorded as repeats. */
  stats(): Stats & { errorsSuppressed: number };
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
    stats: () => ({ ...NOOP_STATS, dropped: { ...NOOP_STATS.dropped }, errorsSuppressed: 0 }),
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
  return initWith(options, {});
}

/** What the build adds: the Zone build passes its context manager. */
export interface StartExtras {
  contextManager?: ContextManager;
}

/** Starts an agent; `init` and the Zone entry share it. */
export function initWith(options: BrowserOptions, extras: StartExtras): Agent {
  if (running) {
    console.warn('tracelet: init() was called again; the running agent is kept and returned');
    return running;
  }
  try {
    return (running = start(options, extras));
  } catch (e) {
    console.error((e as Error)?.message ?? e);
    return noopAgent();
  }
}

function start(options: BrowserOptions, extras: StartExtras): Agent {
  const config = parseBrowserOptions(options, location.href);
  const transport = browserTransport(config.endpoint, config.headers);
  // Sampling is decided once per visit, so a visitor is recorded whole or not at all.
  const session = new Session(config.sampleRate);
  const pageViewId = randomHex(8);
  // session.id and page_view.id sit on the resource: said once per request, not per span.
  const resourceFor = (sessionId: string) =>
    resourceAttributes(config, { 'user_agent.original': navigator.userAgent, 'session.id': sessionId, 'page_view.id': pageViewId });
  // The session (sessionStorage) is read at the first span, or when the pipeline first
  // encodes (spans stored by an earlier page, a drop report) if that comes first.
  let sessionId: string | undefined;
  /** Every span is activity; a renewed session gets its own resource. */
  const activity = () => {
    const id = session.current().id;
    if (id !== sessionId) pipeline.setResource(resourceFor((sessionId = id)));
  };
  const pipeline = new ExportPipeline({
    resource: () => resourceFor((sessionId = session.current().id)),
    transport,
    maxQueueSize: config.maxQueueSize,
    maxExportBatchSize: config.maxExportBatchSize,
    scheduledDelayMillis: config.scheduledDelayMillis,
    redactUrl: config.redactUrl,
    // One span per export until a cross-origin collector first answers (see BrowserTransport).
    sendLimit: () => (transport.answered ? Infinity : 1),
  });
  // Registered by hand: WebTracerProvider.register() bundles the stock propagators. The
  // pipeline has its own resource: the SDK's default one is not built.
  const provider = new BasicTracerProvider({
    resource: emptyResource(),
    idGenerator: pooledIdGenerator,
    sampler: new ParentOrRootSampler(() => session.current().sampled),
    spanProcessors: [
      new PipelineSpanProcessor(pipeline, [activity]),
    ],
    spanLimits: { attributeValueLengthLimit: MAX_STRING_LENGTH, attributeCountLimit: 128 },
  });
  // documentLoad, and spans started with no active span until the first route change,
  // become children of the server span that served this page.
  const pageContext = new PageContextManager(extras.contextManager ?? new StackContextManager(), pageTraceparent());
  trace.setGlobalTracerProvider(provider);
  propagation.setGlobalPropagator(new W3CPropagator());
  context.setGlobalContextManager(pageContext.enable());
  exposePageTraceparent();

  const on = config.instrumentations;
  const otel: Instrumentation[] = [];
  if (on.documentLoad) otel.push(instrumentDocumentLoad());
  if (on.fetch) otel.push(instrumentFetch(config));
  if (on.xhr) otel.push(instrumentXhr(config));
  for (const i of otel) {
    i.setTracerProvider(provider);
    i.enable();
  }
  const tracer = provider.getTracer('tracelet');
  let errorsSuppressed = 0;
  const stops: (() => void)[] = otel.map((i) => () => i.disable());
  // At init, not when idle: a visit left while the page still loads (the slow ones) must
  // report the TTFB, FCP and LCP it had.
  if (on.webVitals) stops.push(instrumentWebVitals(tracer));
  if (on.errors) stops.push(instrumentErrors(tracer, (n) => (errorsSuppressed += n)));
  if (on.routeChanges) stops.push(instrumentRouteChanges(tracer, () => pageContext.leavePage()));

  // Spans an earlier page view could not send at its exit go first, once the page is idle:
  // the first localStorage read of a page costs milliseconds.
  const store = new UnloadStore('tracelet:' + config.endpoint, pipeline.drops);
  whenIdle(() => running === agent && pipeline.requeueItems(store.take()));
  stops.push(
    onHidden((e) => {
      // From pagehide on the page is going (or frozen in the bfcache): leftovers are stored.
      if (e.type === 'pagehide') transport.leaving = true;
      flushAtExit(pipeline, transport, store, transport.leaving);
    }),
    // A page restored from the bfcache takes back what it stored when it was hidden.
    listen('pageshow', (e) => {
      if (!e.persisted) return;
      transport.leaving = false;
      pipeline.requeueItems(store.take());
    }),
    // The page we came from may store its leftovers after this page started (Chromium runs
    // the old page's pagehide in another process, concurrently): pick them up as they land.
    listen('storage', (e) => e.key === store.key && e.newValue && pipeline.requeueItems(store.take())),
  );

  const agent: Agent = {
    tracer,
    flush: () => pipeline.flush(),
    stats: () => ({ ...pipeline.stats(), errorsSuppressed }),
    enabled: true,
    async shutdown() {
      if (running !== agent) return;
      stops.forEach((stop) => stop());
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
      running = undefined;
    },
  };
  return agent;
}
