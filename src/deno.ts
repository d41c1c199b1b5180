export { instrument, serve, flush, type DenoOptions as Options, type ServeHandler, type ServeHandlerInfo, type DenoServer } from './edge/deno/index';
export { ConfigError } from './core/config';
