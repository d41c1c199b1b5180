/*
 * Stands in for the SDK TracerProvider's defaults in the script-tag builds: the sampler
 * (ParentBased over AlwaysOn) and the Math.random() id generator. tracelet always passes its
 * own (core/sampler.ts, core/ids.ts), so these are never built: about 600 bytes gzip less.
 */
export class ParentBasedSampler {}
export class AlwaysOnSampler {}
export class RandomIdGenerator {}
