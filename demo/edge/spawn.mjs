import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { spawnChild } from '../lib/children.mjs';
import { DemoError, HOST, assertPortFree } from '../lib/http.mjs';

const READY = /^EDGE_LISTENING (\{.*\})$/;

/**
 * Starts edge.mjs in Deno (the `deno` npm package) and resolves once it listens. Network
 * access is limited to 127.0.0.1; stdin stays open so the edge exits if we die.
 */
export async function startEdge({ root, port, originUrl, endpoint, shopOrigin }) {
  const deno = join(root, 'node_modules', '.bin', 'deno');
  if (!existsSync(deno)) throw new DemoError('node_modules/.bin/deno is missing: run npm install first');
  if (port !== 0) await assertPortFree(port, 'edge');
  const config = JSON.stringify({ port, originUrl, endpoint, shopOrigin, exitWithStdin: true });
  const child = spawnChild(deno, ['run', '--no-prompt', `--allow-net=${HOST}`, join(import.meta.dirname, 'edge.mjs'), config], {
    cwd: root,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1' },
  });
  const recent = [];
  createInterface({ input: child.stderr }).on('line', (line) => {
    recent.push(line);
    if (recent.length > 20) recent.shift();
    console.error(`[edge] ${line}`);
  });
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const ready = READY.exec(line);
      if (!ready) return console.log(`[edge] ${line}`);
      const { port: actual } = JSON.parse(ready[1]);
      resolve({ url: `http://${HOST}:${actual}`, port: actual, child });
    });
    child.once('error', (err) => reject(new DemoError(`cannot start Deno: ${err.message}`)));
    child.once('exit', (code, signal) => reject(new DemoError(`the Deno edge stopped before it listened (${signal ?? `exit code ${code}`})${recent.length ? ':\n' + recent.join('\n') : ''}`)));
  });
}
