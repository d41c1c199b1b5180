import { ROOT_CONTEXT, SpanKind } from '@opentelemetry/api';
import type { EdgeAgent } from '../agent';
import { withAgent } from '../context';
import { runInSpan } from '../span';
import { flushAfter, traceCtx, traceEnv } from './bindings';
import type { ExecutionContext, MessageBatch } from './types';

type QueueHandler<Env> = (batch: MessageBatch, env: Env, ctx: ExecutionContext) => void | Promise<void>;

/** A Queues batch as a root CONSUMER span (`process <queue>`), exported inside `waitUntil`. */
export function instrumentQueue<Env>(queue: QueueHandler<Env>, agentFor: (env: Env) => EdgeAgent | undefined): QueueHandler<Env> {
  return function (this: unknown, batch, env, ctx) {
    const agent = agentFor(env);
    if (!agent) return queue.call(this, batch, env, ctx);
    const parent = withAgent(ROOT_CONTEXT, agent);
    const span = agent.tracer.startSpan(
      'process ' + batch.queue,
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          'faas.trigger': 'pubsub',
          'messaging.operation.type': 'process',
          'messaging.destination.name': batch.queue,
          'messaging.batch.message_count': batch.messages.length,
        },
      },
      parent,
    );
    return flushAfter(ctx, agent, runInSpan(span, parent, () => queue.call(this, batch, traceEnv(env), traceCtx(ctx, agent))));
  };
}
