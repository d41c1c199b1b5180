import type { Resource } from '@opentelemetry/resources';

/*
 * Stands in for @opentelemetry/resources in the script-tag builds. The SDK keeps a Resource
 * on every span, but tracelet's export pipeline never reads it: it encodes its own resource
 * (core/resource.ts) once per export. An empty one does: about 900 bytes gzip less.
 */
const EMPTY: Resource = { attributes: {}, merge: (other) => other ?? EMPTY, getRawAttributes: () => [] };

export const emptyResource = (): Resource => EMPTY;
export const defaultResource = emptyResource;
