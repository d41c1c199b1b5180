/*
 * The parts of the Workers runtime API the wrappers touch, declared structurally so
 * tracelet needs no @cloudflare/workers-types; handlers typed with it fit these shapes.
 */

export interface ExecutionContext {
  waitUntil(promise: Promise<unknown>): void;
  passThroughOnException(): void;
}

export interface ScheduledController {
  readonly scheduledTime: number;
  readonly cron: string;
  noRetry(): void;
}

export interface MessageBatch<Body = unknown> {
  readonly queue: string;
  readonly messages: readonly { readonly id: string; readonly body: Body }[];
}

/** A module worker's default export. Method syntax keeps parameters bivariant, so richer types fit. */
export interface ExportedHandler<Env = unknown> {
  fetch?(request: Request, env: Env, ctx: ExecutionContext): Response | Promise<Response>;
  scheduled?(controller: ScheduledController, env: Env, ctx: ExecutionContext): void | Promise<void>;
  queue?(batch: MessageBatch, env: Env, ctx: ExecutionContext): void | Promise<void>;
}

/** Tracing options, or a function of the worker's `env` that returns them (read on the first event). */
export type ConfigOrFactory<Env, Options> = Options | ((env: Env) => Options);
