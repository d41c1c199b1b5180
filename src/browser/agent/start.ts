import { context, propagation, trace, type ContextManager, type Tracer } from '@opentelemetry/api';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { emptyResource } from '@opentelemetry/resources';
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { TracerProvider } from '@opentelemetry/sdk-trace';
import { StackContextManager } from '@opentelemetry/sdk-trace-web';
import { MAX_STRING_LENGTH } from '../../core/otlp';
import { ExportPipeline } from '../../core/pipeline';
import { PipelineSpanProcessor } from '../../core/processor';
import { formatTraceparent, W3CPropagator } from '../../core/propagation';
import { RateLimitedSpanProcessor, RateLimiter } from '../../core/rateLimit';
import { resourceAttributes } from '../../core/resource';
import { ParentOrRootSampler } from '../../core/sampler';
import type { Stats } from '../../core/stats';
import { instrumentDocumentLoad } from '../documentLoad';
import { adoptErrors } from '../errors';
import { PageContextManager } from '../lib/pageContext';
import type { ErrorRecord, Hub, LoaderRecord, RequestRecord, RouteRecord } from '../loader/hub';
import { parseBrowserOptions, type BrowserConfig } from '../options';
import { exposePageTraceparent } from '../pageTraceparent';
import { watchPageExit } from '../pageExit';
import { adoptRequests } from '../requests';
import { adoptRouteChanges } from '../routeChange';
import { Session } from '../session';
import { browserTransport } from '../transport';
import { instrumentWebVitals } from '../webVitals';
import { idGenerator } from './adopt';
import type { Agent } from './types';

/** How long `flush()` lets requests still reading their body end at their entry. */
const FLUSH_WAIT_MS = 3000;

/** What the build adds: the Zone build passes its context manager. */
export interface StartExtras {
  contextManager?: ContextManager;
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

/** What the agent does with each kind of loader record. */
type Adopters = { [K in LoaderRecord['k']]?: (r: Extract<LoaderRecord, { k: K }>) => void };

/**
 * The browser features the agent runs, by their `instrumentations` option name: the loader
 * captures fetch, xhr, errors and route changes (loader/index.ts); the agent turns those
 * records into spans, and records the page load and the Web Vitals from the browser's
 * buffered entries.
 */
interface FeatureContext {
  h: Hub;
  tracer: Tracer;
  /** Takes a span made whole outside the SDK (agent/endedSpan.ts), as the provider's processors take an ended one. */
  ended: (span: ReadableSpan) => void;
  config: BrowserConfig;
  adopt: Adopters;
  stops: (() => void)[];
  otel: Instrumentation[];
  pageContext: PageContextManager;
  suppressed: (n: number) => void;
  settle: (() => void)[];
  drain: ((ms: number) => Promise<void>)[];
}
const FEATURES: Record<keyof BrowserConfig['instrumentations'], (f: FeatureContext) => void> = {
  // An exit before the agent came already sent the page load: not again.
  documentLoad: (f) => !f.h.sent.doc && f.otel.push(instrumentDocumentLoad()),
  fetch: (f) => requests(f, 'fetch'),
  xhr: (f) => requests(f, 'xmlhttprequest'),
  webVitals: (f) => f.stops.push(instrumentWebVitals(f.tracer, f.h.sent.vitals)),
  errors: (f) => (f.adopt.error = f.adopt.unhandledrejection = adoptErrors(f.tracer, f.suppressed)),
  routeChanges: (f) => (f.adopt.route = adoptRouteChanges(f.tracer, () => f.pageContext.leavePage())),
};

/** Features that start a task after the agent, one task each (see startAgent). */
const DEFERRED: (keyof typeof FEATURES)[] = ['documentLoad', 'webVitals'];

/** fetch and XHR share one adopter (and its one Resource Timing observer). */
function requests(f: FeatureContext, kind: RequestRecord['k']) {
  let r = (f as { requests?: ReturnType<typeof adoptRequests> }).requests;
  if (!r) {
    r = (f as { requests?: ReturnType<typeof adoptRequests> }).requests = adoptRequests(f.ended);
    f.stops.push(r.stop);
    f.settle.push(r.settle);
    f.drain.push((ms) => r!.drain(ms));
  }
  f.adopt[kind] = r.take;
}

/**
 * With `maxSpansPerSecond`, spans past the page's rate never reach the queue; they are counted
 * and reported like the other drops. The bucket starts full (initial: Infinity, capped at the
 * burst): a page load ends many spans at once.
 */
const rateLimited = (next: SpanProcessor, rate: number | undefined, dropped: () => void): SpanProcessor =>
  rate ? new RateLimitedSpanProcessor(next, new RateLimiter(rate, { initial: Infinity }), dropped) : next;

/** The options as the agent runs them, or undefined after one console error naming the mistake. */
export function checkedConfig(o: unknown): BrowserConfig | undefined {
  try {
    return parseBrowserOptions(o, location.href);
  } catch (e) {
    console.error((e as Error)?.message ?? e);
    return undefined;
  }
}

/**
 * Stage two: the full agent on the OpenTelemetry SDK. Validates the options (a bad one:
 * one console error, capture stops, an agent that does nothing), then adopts what the
 * loader captured and everything it captures from now on.
 */
export function startAgent(h: Hub, extras: StartExtras = {}): Agent {
  const config = checkedConfig(h.o);
  if (!config) {
    h.on = false;
    h.stops.forEach((s) => s());
    return noopAgent();
  }
  const transport = browserTransport(config.endpoint, config.headers);
  // Sampling is decided once per visit (the loader read or began it), recorded whole or not at all.
  const session = new Session(config.sampleRate);
  // session.id and page_view.id sit on the resource: said once per request, not per span.
  const resourceFor = (sessionId: string) =>
    resourceAttributes(config, { 'user_agent.original': navigator.userAgent, 'session.id': sessionId, 'page_view.id': h.pv });
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
    sendLimit: transport.spansPerExport,
  });
  if (h.n) pipeline.drops.add('queue_full', h.n);
  // Registered by hand: WebTracerProvider.register() bundles the stock propagators. The
  // pipeline has its own resource: the SDK's default one is not built. The SDK's own
  // TracerProvider, not sdk-trace-base's BasicTracerProvider shim over it: the shim only adds
  // a deep merge with defaults read from OTEL_* environment variables, which a page has none
  // of (about 1.5 KB gzip of merge, env and sampler code).
  const processor = rateLimited(new PipelineSpanProcessor(pipeline, [activity]), config.maxSpansPerSecond, () => pipeline.drops.add('rate_limited'));
  const provider = new TracerProvider({
    resource: emptyResource(),
    idGenerator,
    sampler: new ParentOrRootSampler(() => session.current().sampled),
    spanProcessors: [processor],
    spanLimits: { attributeValueLengthLimit: MAX_STRING_LENGTH, attributeCountLimit: 128 },
  });
  // documentLoad, and spans started with no active span until the first route change,
  // become children of the server span that served this page.
  // The loader found the page's server span (loader/page.ts), unless a route change already ended it.
  const pageTp = h.pg?.p ? formatTraceparent(h.pg.t, h.pg.p, h.pg.f) : undefined;
  const pageContext = new PageContextManager(extras.contextManager ?? new StackContextManager(), pageTp);
  trace.setGlobalTracerProvider(provider);
  propagation.setGlobalPropagator(new W3CPropagator());
  context.setGlobalContextManager(pageContext.enable());
  exposePageTraceparent(pageTp);

  const tracer = provider.getTracer('tracelet');
  let errorsSuppressed = 0;
  const f: FeatureContext = {
    h,
    tracer,
    ended: (span) => {
      try {
        activity();
        processor.onEnd(span);
      } catch {
        // Called from observers and timers: an agent fault must never reach the page.
      }
    },
    config,
    adopt: {},
    stops: [],
    otel: [],
    pageContext,
    suppressed: (n) => (errorsSuppressed += n),
    settle: [],
    drain: [],
  };
  const startFeature = (name: keyof typeof FEATURES) => {
    FEATURES[name](f);
    for (const i of f.otel.splice(0)) {
      i.setTracerProvider(provider);
      i.enable();
      f.stops.push(() => i.disable());
    }
  };
  // The features that read the browser's buffered entries start a task later each, so the
  // agent's start is not one long task; an exit or a flush before then starts them at once.
  const later: (() => void)[] = [];
  for (const name of Object.keys(FEATURES) as (keyof typeof FEATURES)[]) {
    if (!config.instrumentations[name]) continue;
    if (DEFERRED.includes(name)) later.push(() => startFeature(name));
    else startFeature(name);
  }
  const startLater = () => later.splice(0).forEach((start) => start());
  const next = () => {
    later.shift()?.();
    if (later.length) setTimeout(next);
  };
  setTimeout(next);
  f.settle.unshift(startLater);
  f.stops.push(() => void later.splice(0));

  // From now on the loader's wrappers run under the active span, and hand records here.
  // Called inside every fetch and XHR of the page: straight to the context manager, not
  // through the API's global lookups.
  h.parent = () => {
    const sc = pageContext.activeSpanContext();
    return sc ? { t: sc.traceId, p: sc.spanId, f: sc.traceFlags } : undefined;
  };
  const take = (r: LoaderRecord) => {
    try {
      (f.adopt[r.k] as ((r: LoaderRecord) => void) | undefined)?.(r);
    } catch {
      // A record the agent cannot read must never reach the page.
    }
  };
  // Requests still in flight come through the sink when they end.
  for (const r of h.q.splice(0)) if (!('i' in r) || r.e) take(r);
  h.sink = take;
  const settle = () => f.settle.forEach((s) => s());
  f.stops.push(watchPageExit(pipeline, transport, 'tracelet:' + config.endpoint, settle));

  const agent: Agent = {
    tracer,
    // Requests whose body is still being read get a moment to end at their responseEnd.
    flush: () => (startLater(), Promise.all(f.drain.map((d) => d(FLUSH_WAIT_MS))).then(() => pipeline.flush())),
    stats: () => ({ ...pipeline.stats(), errorsSuppressed }),
    enabled: true,
    async shutdown() {
      f.stops.forEach((stop) => stop());
      h.sink = h.parent = undefined;
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
  return agent;
}

export type { ErrorRecord, RouteRecord };
