// Where a traced requests page spent its main thread's time, by function: the V8 CPU profile
// of a startup trace with `disabled-by-default-v8.cpu_profiler`, its samples split into the
// page's block windows (from one `tlb <round> <kind> <mode>` mark to the next) and each
// minified frame mapped back to its source through the build's source map.
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { join } from 'node:path';

/** The trace categories that add the sampled profile. */
export const PROFILE_CATEGORY = 'disabled-by-default-v8.cpu_profiler';

const maps = new Map();
/** The source map of a dist file served to the page (undefined for other scripts). */
function mapFor(dist, url) {
  const file = /\/dist\/([\w.-]+\.js)(?:$|\?)/.exec(url ?? '')?.[1];
  if (!file) return undefined;
  if (!maps.has(file)) {
    const path = join(dist, file + '.map');
    maps.set(file, existsSync(path) ? new SourceMap(JSON.parse(readFileSync(path, 'utf8'))) : undefined);
  }
  return maps.get(file);
}

/** A frame as `function (source:line)`: the original name and place where the map has them. */
function frameLabel(dist, cf) {
  const name = cf.functionName || '(anonymous)';
  if (!cf.url) return name; // V8's own: (program), (garbage collector), builtins such as fetch
  // The page's driver: its native and instrumented blocks run functions of their own names.
  if (!/\.js(?:$|\?)/.test(cf.url)) return "(the bench page's own code)";
  const map = mapFor(dist, cf.url);
  const file = cf.url.split('/').pop().split('?')[0];
  if (!map) return `${name} (${file})`;
  // Both 0-based, as the profile's frames are.
  const o = map.findEntry(cf.lineNumber, cf.columnNumber);
  if (!o.originalSource) return `${name} (${file}, unmapped)`;
  return `${o.name ?? name} (${o.originalSource.replace(/^.*?(node_modules\/|src\/)/, '$1')}:${o.originalLine + 1})`;
}

/**
 * The page's block marks (`tlb <round> <kind> <mode>`, then `tlb end`) in time order. They
 * name the page's main thread: `performance.mark` is traced on it.
 */
export function blockMarks(events) {
  const marks = events.filter((e) => typeof e.name === 'string' && e.name.startsWith('tlb ') && String(e.cat).includes('blink.user_timing')).sort((a, b) => a.ts - b.ts);
  if (!marks.length) throw new Error('the trace holds none of the page marks');
  return marks;
}

/**
 * Sampled self time per frame in each window, in µs: `Map<window name, Map<frame, µs>>`.
 * A sample weighs the time since the one before it. Only the page's main thread is read:
 * the thread the marks were set on.
 */
export function selfTimeByWindow(events, dist) {
  const marks = blockMarks(events);
  const { pid, tid } = marks[0];
  const head = events.find((e) => e.name === 'Profile' && e.pid === pid && e.tid === tid);
  if (!head) throw new Error(`the trace holds no CPU profile of the page's thread (category ${PROFILE_CATEGORY})`);
  const nodes = new Map();
  const samples = [];
  let t = head.args.data.startTime;
  for (const c of events.filter((e) => e.name === 'ProfileChunk' && e.pid === pid && e.id === head.id).sort((a, b) => a.ts - b.ts)) {
    const { cpuProfile: p = {}, timeDeltas = [] } = c.args.data;
    for (const n of p.nodes ?? []) nodes.set(n.id, n);
    (p.samples ?? []).forEach((id, i) => samples.push([(t += timeDeltas[i] ?? 0), id, timeDeltas[i] ?? 0]));
  }
  const labels = new Map();
  const out = new Map();
  let w = 0;
  for (const [ts, id, dt] of samples.sort((a, b) => a[0] - b[0])) {
    while (w < marks.length && marks[w].ts <= ts) w++;
    // Before the first mark or after the last: not in a block's window.
    if (w === 0 || w === marks.length) continue;
    const name = marks[w - 1].name.slice(4);
    let label = labels.get(id);
    if (label === undefined) labels.set(id, (label = frameLabel(dist, nodes.get(id)?.callFrame ?? {})));
    const m = out.get(name) ?? out.set(name, new Map()).get(name);
    m.set(label, (m.get(label) ?? 0) + dt);
  }
  return out;
}

/**
 * Self time per request that instrumented windows spent over native ones, by frame: for each
 * round from `warmup` on and each frame, (instrumented − native µs) / k, summed over pages and
 * averaged over rounds. Frames V8 idles in are left out.
 */
export function addedByFrame(pagesWindows, kind, { warmup, k }) {
  const sum = new Map();
  let rounds = 0;
  for (const windows of pagesWindows) {
    for (const [name, instr] of windows) {
      const [round, kd, mode] = name.split(' ');
      if (kd !== kind || mode !== 'instr' || +round < warmup) continue;
      const native = windows.get(`${round} ${kind} native`) ?? new Map();
      rounds++;
      for (const f of new Set([...instr.keys(), ...native.keys()])) sum.set(f, (sum.get(f) ?? 0) + ((instr.get(f) ?? 0) - (native.get(f) ?? 0)) / k);
    }
  }
  sum.delete('(idle)');
  return [...sum].map(([frame, us]) => ({ frame, us: us / Math.max(1, rounds) })).sort((a, b) => b.us - a.us);
}
