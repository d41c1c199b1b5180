import type { EdgeAgent } from '../agent';
import { traceRequest } from '../httpServer';
import type { ServeHandler, ServeHandlerInfo } from './types';

/** A `Deno.serve` handler with a SERVER span per request (the caller's address from `info`). */
export function wrapServeHandler<H extends ServeHandler>(handler: H, agent: EdgeAgent): H {
  // The caller's address is read only when asked for: no closure for it on every request otherwise.
  const traced = agent.config.captureClientAddress
    ? (request: Request, info?: ServeHandlerInfo) =>
        traceRequest(agent, request, () => handler(request, info), { clientAddress: () => info?.remoteAddr?.hostname })
    : (request: Request, info?: ServeHandlerInfo) => traceRequest(agent, request, () => handler(request, info));
  return traced as H;
}
