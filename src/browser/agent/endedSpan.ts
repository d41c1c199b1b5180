import { SpanStatusCode, type Attributes, type SpanKind, type SpanStatus } from '@opentelemetry/api';
import { hrTimeDuration, millisToHrTime } from '@opentelemetry/core';
import { emptyResource } from '@opentelemetry/resources';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { Ids } from '../loader/hub';

/** A span the agent knows whole when it first sees it; times are Unix epoch ms. */
export interface EndedSpanData {
  scope: ReadableSpan['instrumentationScope'];
  /** The trace it was captured in (`p`: its parent, if any). */
  ids: Ids;
  spanId: string;
  name: string;
  kind: SpanKind;
  start: number;
  end: number;
  attributes: Attributes;
  events: { name: string; time: number }[];
  status?: SpanStatus;
}

const RESOURCE = emptyResource();

/**
 * A request the loader captured is over before the agent makes its span, and the loader
 * already chose its ids and sampling (they went out in its `traceparent`). So the span is
 * written as the ended span the processors take, not started and ended through the SDK:
 * no sampler, context, attribute checks or span object per request (in the sampled profile,
 * BENCH_PROFILE, the SDK's path was the largest part of a request's adoption). The encoder
 * (core/otlp.ts) still cuts long strings. An end before the start (entry times are coarsened)
 * becomes the start, as the SDK's `end` makes it, so the duration is never negative.
 */
export function endedSpan(d: EndedSpanData): ReadableSpan {
  const startTime = millisToHrTime(d.start);
  const endTime = millisToHrTime(Math.max(d.start, d.end));
  const { t, p, f } = d.ids;
  return {
    name: d.name,
    kind: d.kind,
    spanContext: () => ({ traceId: t, spanId: d.spanId, traceFlags: f }),
    parentSpanContext: p ? { traceId: t, spanId: p, traceFlags: f, isRemote: true } : undefined,
    startTime,
    endTime,
    status: d.status ?? { code: SpanStatusCode.UNSET },
    attributes: d.attributes,
    links: [],
    events: d.events.map((e) => ({ name: e.name, time: millisToHrTime(e.time) })),
    duration: hrTimeDuration(startTime, endTime),
    ended: true,
    resource: RESOURCE,
    instrumentationScope: d.scope,
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
}
