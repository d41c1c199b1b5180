// Builds what the bench serves and weighs, with the same rollup + terser settings as
// rollup.config.mjs: the reference stack (with and without Zone.js) as script-tag IIFEs,
// and a tiny app importing tracelet's npm entry, bundled the way an app's bundler would.
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import commonjs from '@rollup/plugin-commonjs';
import resolve from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';
import { rollup } from 'rollup';
import { OUT, ROOT } from './support.mjs';

export const SITE = join(OUT, 'site');
export const BUNDLES = join(SITE, 'bundles');

/**
 * The build in rollup.config.mjs that writes `outputFile`, with that one output; run it with
 * the repo as the working directory (the config's paths are relative).
 */
export async function rollupConfigFor(outputFile) {
  const configs = (await import(pathToFileURL(join(ROOT, 'rollup.config.mjs')).href)).default;
  for (const c of configs) {
    const o = [c.output].flat().find((x) => x?.file === outputFile);
    if (o) return { ...c, output: o };
  }
  throw new Error(`rollup.config.mjs has no build writing ${outputFile}`);
}

/** Exactly rollup.config.mjs's minifier. */
export const minify = (module) => terser({ ecma: 2020, module, compress: { passes: 2 }, format: { comments: false } });

const selfResolve = {
  name: 'tracelet-self',
  resolveId: (id) => (id === 'tracelet' ? join(ROOT, 'dist/index.js') : null),
};

/**
 * Bundles `input` to `file` (or, code-split, into `dir`) and returns rollup's output chunks
 * (with per-module rendered code).
 */
export async function bundle({ input, file, dir, format = 'iife', name, minified = true, plugins = [] }) {
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
      ...(dir ? { dir, entryFileNames: '[name].js', chunkFileNames: '[name]-[hash].js' } : { file }),
      format,
      ...(name && { name }),
      plugins: minified ? [minify(format === 'es')] : [],
    });
    return output;
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
    // Issue #12: `init` may reach the agent through a dynamic import(), which the app's bundler
    // splits into its own chunk: the page loads the entry and its static imports first.
    const dir = join(BUNDLES, 'tracelet-esm-app');
    await rm(dir, { recursive: true, force: true });
    const chunks = (await bundle({ input: join(ROOT, 'bench/reference/tracelet-esm-app.js'), dir, format: 'es' })).filter((c) => c.type === 'chunk');
    const entry = chunks.find((c) => c.isEntry);
    const initial = new Set([entry.fileName]);
    for (let n = 0; n !== initial.size; ) {
      n = initial.size;
      for (const c of chunks) if (initial.has(c.fileName)) for (const i of c.imports) initial.add(i);
    }
    out['tracelet ESM app'] = {
      initial: chunks.filter((c) => initial.has(c.fileName)).map((c) => join(dir, c.fileName)),
      lazy: chunks.filter((c) => !initial.has(c.fileName)).map((c) => join(dir, c.fileName)),
    };
    return out;
  })();
  return built;
}
