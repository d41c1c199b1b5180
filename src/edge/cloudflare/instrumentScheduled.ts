import { ROOT_CONTEXT, SpanKind } from '@opentelemetry/api';
import type { EdgeAgent } from '../agent';
import { withAgent } from '../context';
import { runInSpan } from '../span';
import { flushAfter, traceCtx, traceEnv } from './bindings';
import type { ExecutionContext, ScheduledController } from './types';

type ScheduledHandler<Env> = (controller: ScheduledController, env: Env, ctx: ExecutionContext) => void | Promise<void>;

/** A Cron Trigger run as a root SERVER span (`faas.trigger` timer), exported inside `waitUntil`. */
export function instrumentScheduled<Env>(scheduled: ScheduledHandler<Env>, agentFor: (env: Env) => EdgeAgent | undefined): ScheduledHandler<Env> {
  return function (this: unknown, controller, env, ctx) {
    const agent = agentFor(env);
    if (!agent) return scheduled.call(this, controller, env, ctx);
    const parent = withAgent(ROOT_CONTEXT, agent);
    const span = agent.tracer.startSpan(
      'scheduled ' + controller.cron,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'faas.trigger': 'timer',
          'faas.cron': controller.cron,
          'faas.time': new Date(controller.scheduledTime).toISOString(),
        },
      },
      parent,
    );
    return flushAfter(ctx, agent, runInSpan(span, parent, () => scheduled.call(this, controller, traceEnv(env), traceCtx(ctx, agent))));
  };
}
