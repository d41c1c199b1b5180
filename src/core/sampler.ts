import { trace, type Context } from '@opentelemetry/api';
import { SamplingDecision, type Sampler, type SamplingResult } from '@opentelemetry/sdk-trace-base';
import { FLAG_RANDOM, FLAG_SAMPLED, W3CTraceState, isRandomTrace, markedRandom } from './propagation';

const SAMPLED: SamplingResult = { decision: SamplingDecision.RECORD_AND_SAMPLED };
const DROPPED: SamplingResult = { decision: SamplingDecision.NOT_RECORD };
/** With `randomTraceIdFlag`: a root's empty, random-marked tracestate. */
const RANDOM_ROOT = new W3CTraceState([], true);
const SAMPLED_RANDOM: SamplingResult = { ...SAMPLED, traceState: RANDOM_ROOT };
const DROPPED_RANDOM: SamplingResult = { ...DROPPED, traceState: RANDOM_ROOT };

export interface SamplerOptions {
  /**
   * Mark the traces we start with the W3C Level 2 `random` flag (`-03`/`-02`). Off by
   * default: OpenTelemetry Go before 1.42 rejects a version-00 traceparent whose flags
   * exceed 0x02 and starts a new trace. Our trace ids are random either way.
   */
  randomTraceIdFlag?: boolean;
}

/**
 * Parent-based: a span with a parent follows the parent's sampled flag (so the browser,
 * the edge and the backend agree); a root span asks `sampleRoot`, which the browser
 * answers once per session and the edge once per trace.
 */
export class ParentOrRootSampler implements Sampler {
  private readonly randomFlag: boolean;

  constructor(
    private readonly sampleRoot: (traceId: string) => boolean,
    { randomTraceIdFlag = false }: SamplerOptions = {},
  ) {
    this.randomFlag = randomTraceIdFlag;
  }

  shouldSample(context: Context, traceId: string): SamplingResult {
    const parent = trace.getSpanContext(context);
    if (parent && trace.isSpanContextValid(parent)) {
      const sampled = (parent.traceFlags & FLAG_SAMPLED) !== 0;
      // An API-set parent's random flag: its children keep it.
      if (parent.traceFlags & FLAG_RANDOM && !isRandomTrace(parent.traceState)) {
        return { decision: sampled ? SAMPLED.decision : DROPPED.decision, traceState: markedRandom(parent.traceState) };
      }
      return sampled ? SAMPLED : DROPPED;
    }
    const sampled = this.sampleRoot(traceId);
    if (this.randomFlag) return sampled ? SAMPLED_RANDOM : DROPPED_RANDOM;
    return sampled ? SAMPLED : DROPPED;
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
