import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { rollup } from 'rollup';
import nodeResolve from '@rollup/plugin-node-resolve';

const ROOT = resolve(import.meta.dirname, '../..');

/**
 * Bundles an app entry the way an SPA bundler would, with `tracelet` resolved to this
 * package's built ESM entry: tracelet's agent becomes a chunk of its own (`chunk-*.js`,
 * loaded by a dynamic import). Returns the directory holding `app.js` and its chunks.
 */
export async function bundleApp(entry: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tracelet-app-'));
  const bundle = await rollup({
    input: entry,
    plugins: [
      {
        name: 'tracelet-self',
        resolveId: (id) => (id === 'tracelet' ? resolve(ROOT, 'dist/index.js') : null),
      },
      nodeResolve({ browser: true, rootDir: ROOT, modulePaths: [resolve(ROOT, 'node_modules')] }),
    ],
    onwarn: () => {},
  });
  await bundle.write({ dir, entryFileNames: 'app.js', chunkFileNames: 'chunk-[name].js', format: 'es' });
  await bundle.close();
  return dir;
}

/** Routes `<prefix><file>` to each file of a bundled app (the entry and its chunks). */
export async function appRoutes<H>(dir: string, prefix: string, serve: (file: string) => H): Promise<Record<string, H>> {
  return Object.fromEntries((await readdir(dir)).map((f) => [prefix + f, serve(f)]));
}
