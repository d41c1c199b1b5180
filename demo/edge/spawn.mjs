import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startService } from '../lib/children.mjs';
import { DemoError, HOST, assertPortFree } from '../lib/http.mjs';

/**
 * Starts edge.mjs in Deno (the `deno` npm package) and resolves once it listens. Network
 * access is limited to 127.0.0.1; stdin stays open so the edge exits if we die.
 */
export async function startEdge({ root, port, originUrl, assetsUrl, endpoint }) {
  const deno = join(root, 'node_modules', '.bin', 'deno');
  if (!existsSync(deno)) throw new DemoError('node_modules/.bin/deno is missing: run npm install first');
  if (port !== 0) await assertPortFree(port, 'edge');
  const config = JSON.stringify({ port, originUrl, assetsUrl, endpoint, exitWithStdin: true });
  return startService({
    label: 'edge',
    command: deno,
    args: ['run', '--no-prompt', `--allow-net=${HOST}`, join(import.meta.dirname, 'edge.mjs'), config],
    cwd: root,
    env: { DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1' },
    ready: 'EDGE_LISTENING',
  });
}
