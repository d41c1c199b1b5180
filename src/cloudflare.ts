export { instrument } from './edge/cloudflare/index';
export type { ConfigOrFactory, ExecutionContext, ExportedHandler, MessageBatch, ScheduledController } from './edge/cloudflare/types';
export type { EdgeOptions as Options } from './edge/config';
export { ConfigError } from './core/config';
