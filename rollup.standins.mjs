/*
 * Stand-ins for SDK and API parts a bundle never runs (src/standIns/, each says
 * why): [the module's resolved path ends with, importer's path contains, stand-in]. A
 * module is matched by where it resolves, however an importer spells its path. The
 * script-tag builds take them all; the edge builds only those that hold wherever tracelet
 * builds the provider.
 */
const STAND_INS = [
  ['/@opentelemetry/api-logs/build/esm/index.js', '', 'noLogs'],
  ['/@opentelemetry/sdk-trace/build/esm/TracerMetrics.js', '', 'noSpanMetrics'],
  ['/@opentelemetry/sdk-trace/build/esm/inspect.js', '', 'noInspect'],
  ['/@opentelemetry/api/build/esm/metrics/NoopMeter.js', '', 'noMeter'],
  ['/@opentelemetry/api/build/esm/api/diag.js', '', 'noDiag'],
  ['/@opentelemetry/api/build/esm/baggage/context-helpers.js', '', 'noBaggage'],
  ['/@opentelemetry/api/build/esm/baggage/utils.js', '', 'noBaggage'],
  ['/@opentelemetry/core/build/esm/common/logging-error-handler.js', '', 'noErrorLog'],
  ['/@opentelemetry/resources/build/esm/index.js', '', 'noResources'],
  ['/@opentelemetry/instrumentation/build/esm/shimmer.js', '', 'noShimmer'],
  ['/sdk-trace/build/esm/sampler/ParentBasedSampler.js', '/sdk-trace/build/esm/TracerProvider', 'sdkDefaults'],
  ['/sdk-trace/build/esm/sampler/AlwaysOnSampler.js', '/sdk-trace/build/esm/TracerProvider', 'sdkDefaults'],
  ['/sdk-trace/build/esm/platform/browser/index.js', '/sdk-trace/build/esm/TracerProvider', 'sdkDefaults'],
];

/** A rollup plugin resolving the stand-ins named in `only` (default: all). */
export function standIns(only) {
  const table = only ? STAND_INS.filter(([, , file]) => only.includes(file)) : STAND_INS;
  return {
    name: 'stand-ins',
    async resolveId(id, importer, opts) {
      // Only OpenTelemetry modules have stand-ins: every other import resolves once, as usual.
      if (!importer || !(id.startsWith('@opentelemetry/') || importer.includes('/@opentelemetry/'))) return null;
      const resolved = await this.resolve(id, importer, { ...opts, skipSelf: true });
      const hit = resolved && table.find(([path, from]) => resolved.id.endsWith(path) && importer.includes(from));
      return hit ? new URL(`./src/standIns/${hit[2]}.ts`, import.meta.url).pathname : null;
    },
  };
}
