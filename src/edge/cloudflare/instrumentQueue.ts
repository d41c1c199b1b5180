import { SpanKind } from '@opentelemetry/api';
import type { EdgeAgent } from '../agent';
import { instrumentEvent, type EventHandler } from './instrumentEvent';
import type { MessageBatch } from './types';

/** A Queues batch as a root CONSUMER span (`process <queue>`), exported inside `waitUntil`. */
export function instrumentQueue<Env>(queue: EventHandler<MessageBatch, Env>, agentFor: (env: Env) => EdgeAgent | undefined): EventHandler<MessageBatch, Env> {
  return instrumentEvent(queue, agentFor, (batch) => ({
    name: 'process ' + batch.queue,
    kind: SpanKind.CONSUMER,
    attributes: {
      'faas.trigger': 'pubsub',
      'messaging.operation.type': 'process',
      'messaging.destination.name': batch.queue,
      'messaging.batch.message_count': batch.messages.length,
    },
  }));
}
