import { ROOT_CONTEXT, type Attributes, type SpanKind } from '@opentelemetry/api';
import type { EdgeAgent } from '../agent';
import { withAgent } from '../context';
import { runInSpan } from '../span';
import { flushAfter, traceCtx, traceEnv } from './bindings';
import type { ExecutionContext } from './types';

export type EventHandler<E, Env> = (event: E, env: Env, ctx: ExecutionContext) => void | Promise<void>;

/**
 * A non-HTTP event (cron, queue batch) as one root span described by `describe`, with
 * traced bindings inside and the export inside `waitUntil`.
 */
export function instrumentEvent<E, Env>(
  handler: EventHandler<E, Env>,
  agentFor: (env: Env) => EdgeAgent | undefined,
  describe: (event: E) => { name: string; kind: SpanKind; attributes: Attributes },
): EventHandler<E, Env> {
  return function (this: unknown, event, env, ctx) {
    const agent = agentFor(env);
    if (!agent) return handler.call(this, event, env, ctx);
    const parent = withAgent(ROOT_CONTEXT, agent);
    const { name, kind, attributes } = describe(event);
    const span = agent.tracer.startSpan(name, { kind, attributes }, parent);
    return flushAfter(ctx, agent, runInSpan(span, parent, () => handler.call(this, event, traceEnv(env), traceCtx(ctx, agent))));
  };
}
