import { SpanKind } from '@opentelemetry/api';
import type { EdgeAgent } from '../agent';
import { instrumentEvent, type EventHandler } from './instrumentEvent';
import type { ScheduledController } from './types';

/** A Cron Trigger run as a root SERVER span (`faas.trigger` timer), exported inside `waitUntil`. */
export function instrumentScheduled<Env>(
  scheduled: EventHandler<ScheduledController, Env>,
  agentFor: (env: Env) => EdgeAgent | undefined,
): EventHandler<ScheduledController, Env> {
  return instrumentEvent(scheduled, agentFor, (controller) => ({
    name: 'scheduled ' + controller.cron,
    kind: SpanKind.SERVER,
    attributes: {
      'faas.trigger': 'timer',
      'faas.cron': controller.cron,
      'faas.time': new Date(controller.scheduledTime).toISOString(),
    },
  }));
}
