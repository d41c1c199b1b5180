/*
 * Stands in for @opentelemetry/api's DiagAPI in the script-tag builds. The SDK and the
 * instrumentations log their own warnings through it, and nothing in a script-tag page can
 * give it a logger (the page's `Tracelet` exposes `trace` and `context` only): about 700
 * bytes gzip of logger registration, level filtering and component loggers that never print.
 */
const silent = (): void => {};
const logger = { verbose: silent, debug: silent, info: silent, warn: silent, error: silent };

const api = { ...logger, setLogger: (): boolean => false, disable: silent, createComponentLogger: () => logger };

export class DiagAPI {
  static instance(): typeof api {
    return api;
  }
}
