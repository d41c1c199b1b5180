// Opens one page in a Chromium that has NO DevTools client attached (issue #13: Playwright's CDP
// session, with its Network domain on, made per-request timings unreadable). The browser is
// spawned here with the project's flags (test/support/chromium.ts) plus --headless and a fresh
// profile; the page reports by POSTing to the bench server, and the browser (and its process
// group) is killed afterwards by its pid. Nothing else is touched.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sleep } from './common.mjs';
import { loadSupport } from './support.mjs';

/**
 * Opens `url` and resolves with what `report` (a promise the bench server settles when the
 * page POSTs) resolves with; rejects after `timeoutMs` or when the browser exits first.
 * With `trace` ({ categories, seconds }), the browser also records a trace from its start,
 * still with no DevTools client: Chromium's startup tracing writes it as JSON once `seconds`
 * have passed (a trace cut short by closing the browser is never written), and it comes back
 * as `{ report, trace }`.
 */
export async function openWithoutDevTools(url, report, { timeoutMs, trace }) {
  const { CHROMIUM_ARGS } = await loadSupport();
  const profile = await mkdtemp(join(tmpdir(), 'tracelet-bench-'));
  const traceFile = join(profile, 'trace.json');
  const tracing = trace ? [`--trace-startup=${trace.categories}`, '--trace-startup-format=json', `--trace-startup-file=${traceFile}`, `--trace-startup-duration=${trace.seconds}`] : [];
  const args = [...CHROMIUM_ARGS, '--headless', `--user-data-dir=${profile}`, '--no-default-browser-check', '--disable-extensions', ...tracing, url];
  // detached: its own process group, so the renderer and utility processes go with it.
  const child = spawn(process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args, { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => {
    if (stderr.length < 8000) stderr += d;
  });
  let exited = false;
  const exit = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      exited = true;
      resolve(signal ?? code);
    });
    child.once('error', (err) => {
      exited = true;
      resolve(String(err));
    });
  });
  let timer;
  const t0 = Date.now();
  try {
    return await Promise.race([
      report.then(async (r) => {
        if (process.env.BENCH_DEBUG) console.error(`chromium: reported after ${Date.now() - t0} ms`);
        return trace ? { report: r, trace: await traceWritten(traceFile, t0 + trace.seconds * 1000 + 30_000) } : r;
      }),
      exit.then((how) => {
        throw new Error(`chromium exited (${how}) before the page reported:\n${stderr.slice(-1500)}`);
      }),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`the page did not report within ${timeoutMs / 1000} s`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
    for (const [sig, wait] of [['SIGTERM', 5000], ['SIGKILL', 3000]]) {
      if (exited) break;
      try {
        process.kill(-child.pid, sig);
      } catch {}
      await Promise.race([exit, sleep(wait)]);
    }
    // Helpers of the group that outlived the browser process, if any.
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {}
    await rm(profile, { recursive: true, force: true, maxRetries: 3 });
    if (process.env.BENCH_DEBUG) console.error(`chromium: closed after ${Date.now() - t0} ms`);
  }
}

/** The startup trace's events, once Chromium has written the whole file (until `deadline`). */
async function traceWritten(file, deadline) {
  for (;;) {
    try {
      return JSON.parse(await readFile(file, 'utf8')).traceEvents;
    } catch (e) {
      if (Date.now() > deadline) throw new Error(`no complete trace in ${file}`, { cause: e });
    }
    await sleep(500);
  }
}
