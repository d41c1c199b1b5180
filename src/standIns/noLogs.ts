/*
 * Stands in for `@opentelemetry/api-logs` in the script-tag builds (rollup.config.mjs). The
 * instrumentation base class asks it for a logger that the browser agent never uses (it
 * exports no logs): the real package costs every page about 700 bytes gzip.
 */
const logger = { emit() {} };
const provider = { getLogger: () => logger };

export const logs = { getLogger: () => logger, getLoggerProvider: () => provider, setGlobalLoggerProvider: () => provider };
