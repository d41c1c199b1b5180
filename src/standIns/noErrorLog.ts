/*
 * Stands in for @opentelemetry/core's logging error handler in the script-tag builds: the
 * SDK's global error handler writes each error it is given to the API's `diag`, which is
 * silent there (noDiag.ts), after flattening the error's prototype chain into JSON for it.
 * The same silence, without the flattening.
 */
export const loggingErrorHandler =
  () =>
  (): void => {};
