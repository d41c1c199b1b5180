import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { rollup } from 'rollup';
import nodeResolve from '@rollup/plugin-node-resolve';

const ROOT = resolve(import.meta.dirname, '../..');

/**
 * Bundles an app entry the way an SPA bundler would, with `tracelet` resolved to this
 * package's built ESM entry. Returns the directory holding `app.js`.
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
  await bundle.write({ file: join(dir, 'app.js'), format: 'es' });
  await bundle.close();
  return dir;
}
