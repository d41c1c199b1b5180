// Reads a Chromium trace (Playwright's browser.startTracing/stopTracing) of one page load:
// the main-thread script time attributable to given script URLs before and after the load
// event, and the main-thread tasks that the attributed script made long.
// Attribution: EvaluateScript / v8.compile / FunctionCall (and module evaluation) events carry
// the URL of the script that runs; nested events are counted once. Microtasks and GC have no
// URL and are not attributed to anyone (the same rule for every agent).

const SCRIPT_EVENTS = new Set(['EvaluateScript', 'v8.compile', 'FunctionCall', 'v8.evaluateModule', 'v8.run']);
export const TRACE_CATEGORIES = ['devtools.timeline', 'blink.user_timing', 'toplevel', 'v8.execute'];
const LONG_TASK_MS = 50;

/** Main-thread attribution for script URLs matching `urlRe`; times in ms, relative to the load event. */
export function attribute(buffer, urlRe) {
  const { traceEvents: ev } = JSON.parse(buffer.toString('utf8'));
  const mains = new Set();
  for (const e of ev) if (e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain') mains.add(`${e.pid}:${e.tid}`);
  const onMain = (e) => mains.has(`${e.pid}:${e.tid}`);
  let loadTs;
  for (const e of ev) if (e.name === 'MarkLoad' && e.args?.data?.isOutermostMainFrame && onMain(e)) loadTs = e.ts; // the last one: the page, not about:blank
  if (loadTs === undefined) throw new Error('trace: no load event (MarkLoad) on a renderer main thread');
  const urlOf = (e) => e.args?.data?.url ?? e.args?.fileName ?? '';
  const own = ev
    .filter((e) => e.ph === 'X' && SCRIPT_EVENTS.has(e.name) && onMain(e) && urlRe.test(urlOf(e)))
    .sort((a, b) => a.ts - b.ts || b.dur - a.dur);
  // Outermost intervals per thread.
  const intervals = [];
  const covered = new Map();
  for (const e of own) {
    const k = `${e.pid}:${e.tid}`;
    if (e.ts < (covered.get(k) ?? -Infinity)) continue;
    covered.set(k, e.ts + (e.dur ?? 0));
    intervals.push({ k, start: e.ts, end: e.ts + (e.dur ?? 0) });
  }
  let before = 0;
  let after = 0;
  for (const i of intervals) {
    before += Math.max(0, Math.min(i.end, loadTs) - i.start);
    after += Math.max(0, i.end - Math.max(i.start, loadTs));
  }
  // Top-level tasks on the main thread, and the attributed time inside each.
  const tasks = ev.filter((e) => e.ph === 'X' && e.name === 'ThreadControllerImpl::RunTask' && onMain(e)).sort((a, b) => a.ts - b.ts);
  let maxOwnInTaskAfterLoad = 0;
  const longTasks = [];
  for (const t of tasks) {
    const end = t.ts + t.dur;
    let mine = 0;
    for (const i of intervals) if (i.k === `${t.pid}:${t.tid}` && i.end > t.ts && i.start < end) mine += Math.min(i.end, end) - Math.max(i.start, t.ts);
    if (!mine) continue;
    if (t.ts >= loadTs) maxOwnInTaskAfterLoad = Math.max(maxOwnInTaskAfterLoad, mine);
    if (t.dur > LONG_TASK_MS * 1000) {
      longTasks.push({ atMs: (t.ts - loadTs) / 1000, ms: t.dur / 1000, ownMs: mine / 1000, causedByAgent: t.dur - mine <= LONG_TASK_MS * 1000 });
    }
  }
  return {
    beforeLoadMs: before / 1000,
    afterLoadMs: after / 1000,
    maxOwnInTaskAfterLoadMs: maxOwnInTaskAfterLoad / 1000,
    longTasks,
    lastOwnEventAfterLoadMs: intervals.length ? Math.max(0, intervals[intervals.length - 1].end - loadTs) / 1000 : 0,
  };
}
