import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { exited, spawnChild } from './children.mjs';
import { DemoError } from './http.mjs';

/** What the demo loads from dist/, and what those files are built from. */
const OUTPUTS = ['dist/tracelet.min.js', 'dist/deno.js'];
const INPUTS = ['src', 'package.json', 'rollup.config.mjs', 'rollup.edge.mjs', 'tsconfig.build.json'];

function newestMtime(path) {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  return readdirSync(path).reduce((max, name) => Math.max(max, newestMtime(join(path, name))), 0);
}

/** Why dist/ needs a build, or undefined when it is up to date. */
export function buildReason(root) {
  const missing = OUTPUTS.find((f) => !existsSync(join(root, f)));
  if (missing) return `${missing} is missing`;
  const oldestOutput = Math.min(...OUTPUTS.map((f) => statSync(join(root, f)).mtimeMs));
  if (INPUTS.some((p) => newestMtime(join(root, p)) > oldestOutput)) return 'dist/ is older than src/';
  return undefined;
}

/** Runs `npm run build` when dist/ is missing or stale; its output goes to stderr. */
export async function ensureBuilt(root, log) {
  if (!existsSync(join(root, 'node_modules'))) throw new DemoError('node_modules/ is missing: run npm install first');
  const reason = buildReason(root);
  if (!reason) return;
  log(`${reason}: running npm run build (about 20 s)...`);
  const child = spawnChild('npm', ['run', 'build'], { cwd: root, stdio: ['ignore', 2, 2] });
  const failed = new Promise((_, reject) => child.once('error', (e) => reject(new DemoError(`cannot run npm: ${e.message}`))));
  await Promise.race([exited(child), failed]);
  if (child.exitCode !== 0) throw new DemoError(`npm run build failed (${child.signalCode ?? 'exit ' + child.exitCode}); see the output above`);
  // Only presence is checked again: src/ may have been edited while the build ran.
  const missing = OUTPUTS.find((f) => !existsSync(join(root, f)));
  if (missing) throw new DemoError(`npm run build finished but ${missing} is missing`);
}
