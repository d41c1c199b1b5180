import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { DemoError, HOST } from './http.mjs';

const running = new Set();

/**
 * Spawns a child in its own process group, so stop() can signal the child and everything
 * it started (npm -> sh -> rollup) in one go, and a Ctrl-C meant for the demo reaches it
 * only through us, in order.
 */
export function spawnChild(command, args, options = {}) {
  const child = spawn(command, args, { ...options, detached: true });
  running.add(child);
  child.once('exit', () => running.delete(child));
  child.once('error', () => running.delete(child));
  return child;
}

export function exited(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

function signalGroup(child, signal) {
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

/** SIGTERM to every child's group; SIGKILL for whatever is still there after `graceMs`. */
export async function stopChildren(graceMs = 4000) {
  await Promise.all(
    [...running].map(async (child) => {
      signalGroup(child, 'SIGTERM');
      let timer;
      const late = new Promise((resolve) => (timer = setTimeout(resolve, graceMs, 'late')));
      if ((await Promise.race([exited(child), late])) === 'late') signalGroup(child, 'SIGKILL');
      clearTimeout(timer);
      // The leader has exited, but a grandchild may linger in its group: make sure.
      signalGroup(child, 'SIGKILL');
      await exited(child);
    }),
  );
}

/**
 * Spawns a service (spawnChild) and resolves to `{ url, port, child }` once it prints
 * `<READY> {"port":n}` on stdout; its other output is passed on, prefixed with `[label]`.
 * Its stdin stays open: the services exit when it ends, so they never outlive the demo.
 */
export function startService({ label, command, args, cwd, env, ready }) {
  const child = spawnChild(command, args, { cwd, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  const recent = [];
  createInterface({ input: child.stderr }).on('line', (line) => {
    recent.push(line);
    if (recent.length > 20) recent.shift();
    console.error(`[${label}] ${line}`);
  });
  const prefix = `${ready} `;
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (!line.startsWith(prefix)) return console.log(`[${label}] ${line}`);
      const { port } = JSON.parse(line.slice(prefix.length));
      resolve({ url: `http://${HOST}:${port}`, port, child });
    });
    child.once('error', (err) => reject(new DemoError(`cannot start the ${label}: ${err.message}`)));
    child.once('exit', (code, signal) => reject(new DemoError(`the ${label} stopped before it listened (${signal ?? `exit code ${code}`})${recent.length ? ':\n' + recent.join('\n') : ''}`)));
  });
}
