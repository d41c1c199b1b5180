// Builds what the bench serves and weighs, with the same rollup + terser settings as
// rollup.config.mjs: the reference stack (with and without Zone.js) as script-tag IIFEs,
// and a tiny app importing tracelet's npm entry, bundled the way an app's bundler would.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import commonjs from '@rollup/plugin-commonjs';
import resolve from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';
import { rollup } from 'rollup';
import { OUT, ROOT } from './support.mjs';

export const SITE = join(OUT, 'site');
export const BUNDLES = join(SITE, 'bundles');

/** Exactly rollup.config.mjs's minifier. */
export const minify = (module) => terser({ ecma: 2020, module, compress: { passes: 2 }, format: { comments: false } });

const selfResolve = {
  name: 'tracelet-self',
  resolveId: (id) => (id === 'tracelet' ? join(ROOT, 'dist/index.js') : null),
};

/** Bundles `input` to `file` and returns rollup's output chunk (with per-module rendered code). */
export async function bundle({ input, file, format = 'iife', name, minified = true, plugins = [] }) {
  const b = await rollup({
    input,
    plugins: [selfResolve, resolve({ browser: true, rootDir: ROOT, modulePaths: [join(ROOT, 'node_modules')] }), commonjs(), ...plugins],
    onwarn: (w, warn) => {
      // OTel's ESM builds use `this` at the top level and circular imports: noise for a bundle.
      if (w.code === 'THIS_IS_UNDEFINED' || w.code === 'CIRCULAR_DEPENDENCY') return;
      warn(w);
    },
  });
  try {
    const { output } = await b.write({
      file,
      format,
      ...(name && { name }),
      plugins: minified ? [minify(format === 'es')] : [],
    });
    return output[0];
  } finally {
    await b.close();
  }
}

export const REFERENCE = {
  'otel-web+zone': { input: join(ROOT, 'bench/reference/zone.js'), file: 'otel-web-zone.min.js' },
  'otel-web (no zone)': { input: join(ROOT, 'bench/reference/nozone.js'), file: 'otel-web-nozone.min.js' },
};

let built;

/** Builds the reference bundles and the tracelet ESM app into bench/out/site/bundles once per process. */
export function buildBundles() {
  built ??= (async () => {
    await mkdir(BUNDLES, { recursive: true });
    const out = {};
    for (const [label, r] of Object.entries(REFERENCE)) {
      out[label] = join(BUNDLES, r.file);
      await bundle({ input: r.input, file: out[label], name: 'OtelRef' });
    }
    out['tracelet ESM app'] = join(BUNDLES, 'tracelet-esm-app.min.js');
    await bundle({ input: join(ROOT, 'bench/reference/tracelet-esm-app.js'), file: out['tracelet ESM app'], format: 'es' });
    return out;
  })();
  return built;
}
