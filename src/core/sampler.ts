import { trace, type Context } from '@opentelemetry/api';
import { SamplingDecision, type Sampler, type SamplingResult } from '@opentelemetry/sdk-trace-base';

const SAMPLED: SamplingResult = { decision: SamplingDecision.RECORD_AND_SAMPLED };
const DROPPED: SamplingResult = { decision: SamplingDecision.NOT_RECORD };

/**
 * Parent-based: a span with a parent follows the parent's sampled flag (so the browser,
 * the edge and the backend agree); a root span asks `sampleRoot`, which the browser
 * answers once per session and the edge once per trace.
 */
export class ParentOrRootSampler implements Sampler {
  constructor(private readonly sampleRoot: (traceId: string) => boolean) {}

  shouldSample(context: Context, traceId: string): SamplingResult {
    const parent = trace.getSpanContext(context);
    if (parent && trace.isSpanContextValid(parent)) return parent.traceFlags & 1 ? SAMPLED : DROPPED;
    return this.sampleRoot(traceId) ? SAMPLED : DROPPED;
  }

  toString(): string {
    return 'ParentOrRootSampler';
  }
}

/** A per-trace ratio decision from the trace id's random low bytes, so every hop agrees. */
export function traceIdRatio(rate: number): (traceId: string) => boolean {
  if (rate >= 1) return () => true;
  if (rate <= 0) return () => false;
  const bound = Math.floor(rate * 0x100000000);
  return (traceId) => parseInt(traceId.slice(-8), 16) < bound;
}
