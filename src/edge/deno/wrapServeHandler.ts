import type { EdgeAgent } from '../agent';
import { traceRequest } from '../httpServer';
import type { ServeHandler, ServeHandlerInfo } from './types';

/** A `Deno.serve` handler with a SERVER span per request (the caller's address from `info`). */
export function wrapServeHandler<H extends ServeHandler>(handler: H, agent: EdgeAgent): H {
  const traced = (request: Request, info?: ServeHandlerInfo) =>
    traceRequest(agent, request, () => handler(request, info), { clientAddress: () => info?.remoteAddr?.hostname });
  return traced as H;
}
