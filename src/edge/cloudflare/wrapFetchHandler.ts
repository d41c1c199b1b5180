import type { EdgeAgent } from '../agent';
import { traceRequest } from '../httpServer';
import { flushAfter, traceCtx, traceEnv } from './bindings';
import type { ExecutionContext } from './types';

type FetchHandler<Env> = (request: Request, env: Env, ctx: ExecutionContext) => Response | Promise<Response>;

/** A module worker's `fetch` with a SERVER span per request, exported inside `waitUntil`. */
export function wrapFetchHandler<Env>(fetchHandler: FetchHandler<Env>, agentFor: (env: Env) => EdgeAgent | undefined): FetchHandler<Env> {
  return function (this: unknown, request, env, ctx) {
    const agent = agentFor(env);
    if (!agent) return fetchHandler.call(this, request, env, ctx);
    const served = traceRequest(agent, request, () => fetchHandler.call(this, request, traceEnv(env), traceCtx(ctx, agent)), {
      clientAddress: () => request.headers.get('cf-connecting-ip') ?? undefined,
    });
    return flushAfter(ctx, agent, served);
  };
}
