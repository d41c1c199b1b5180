/*
 * Stands in for @opentelemetry/instrumentation's shimmer in the script-tag builds: the one
 * OTel instrumentation there (document-load) reads timing entries and patches nothing.
 */
const none = (): void => {};

export { none as wrap, none as unwrap, none as massWrap, none as massUnwrap };
