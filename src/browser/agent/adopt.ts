import { ROOT_CONTEXT, trace, type Context, type Span, type SpanOptions, type Tracer } from '@opentelemetry/api';
import type { IdGenerator } from '@opentelemetry/sdk-trace-base';
import { pooledIdGenerator } from '../../core/ids';
import type { Ids } from '../loader/hub';

/** The ids the next span takes, when the loader already chose (and sent) them. */
let preset: { t?: string; i?: string } | undefined;

/** The SDK's IdGenerator: pooled CSPRNG ids, or the ids a loader record carries. */
export const idGenerator: IdGenerator = {
  generateTraceId: () => preset?.t ?? pooledIdGenerator.generateTraceId(),
  generateSpanId: () => preset?.i ?? pooledIdGenerator.generateSpanId(),
};

/** The parent a record was captured under, as a remote span context (or none: a root). */
export function parentOf(ids: Partial<Ids>): Context {
  return ids.t && ids.p ? trace.setSpanContext(ROOT_CONTEXT, { traceId: ids.t, spanId: ids.p, traceFlags: ids.f ?? 1, isRemote: true }) : ROOT_CONTEXT;
}

/**
 * Starts a span for something the loader captured: in the trace it was captured in, and,
 * for a request, with the span id its `traceparent` carried to the server.
 */
export function startAdopted(tracer: Tracer, name: string, options: SpanOptions, ids: Partial<Ids>, spanId?: string): Span {
  preset = { t: ids.p ? undefined : ids.t, i: spanId };
  try {
    return tracer.startSpan(name, options, parentOf(ids));
  } finally {
    preset = undefined;
  }
}
