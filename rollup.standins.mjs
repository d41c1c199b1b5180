/*
 * Stand-ins for SDK and API parts a bundle never runs (src/standIns/, each says
 * why): [import as written, importer's path contains, stand-in]. The script-tag builds take
 * them all; the edge builds only those that hold wherever tracelet builds the provider.
 */
const STAND_INS = [
  ['@opentelemetry/api-logs', '', 'noLogs'],
  ['./TracerMetrics', '/@opentelemetry/sdk-trace/', 'noSpanMetrics'],
  ['./inspect', '/@opentelemetry/sdk-trace/', 'noInspect'],
  ['./metrics/NoopMeter', '/@opentelemetry/api/', 'noMeter'],
  ['./diag', '/@opentelemetry/api/build/esm/api/', 'noDiag'],
  ['./api/diag', '/@opentelemetry/api/build/esm/', 'noDiag'],
  ['../api/diag', '/@opentelemetry/api/build/esm/', 'noDiag'],
  ['./NoopMeter', '/@opentelemetry/api/', 'noMeter'],
  ['@opentelemetry/resources', '', 'noResources'],
  ['./shimmer', '/@opentelemetry/instrumentation/', 'noShimmer'],
  ['./sampler/ParentBasedSampler', '/sdk-trace/build/esm/TracerProvider', 'sdkDefaults'],
  ['./sampler/AlwaysOnSampler', '/sdk-trace/build/esm/TracerProvider', 'sdkDefaults'],
  ['./platform', '/sdk-trace/build/esm/TracerProvider', 'sdkDefaults'],
];

/** A rollup plugin resolving the stand-ins named in `only` (default: all). */
export function standIns(only) {
  const table = only ? STAND_INS.filter(([, , file]) => only.includes(file)) : STAND_INS;
  return {
    name: 'stand-ins',
    resolveId(id, importer = '') {
      const hit = table.find(([spec, from]) => id === spec && importer.includes(from));
      return hit ? new URL(`./src/standIns/${hit[2]}.ts`, import.meta.url).pathname : null;
    },
  };
}
