// Part 4: page-load cost in Chromium (issue #12). A page with a stylesheet, an app script and
// six images, loaded in a fresh browser context: with no agent, with the stock stack's script
// tag (OTel web + Zone + web-vitals), with tracelet's default tag (the loader, which adds the
// agent when the page is idle after the load event) and with tracelet's eager bundle; rotated,
// after a discarded warm-up round. Each load is traced (Chromium tracing, bench/lib/trace.mjs):
// - script time before the load event attributable to the agent's own script files;
// - after the load event, until the agent has started and 1 s more: its script time, the
//   most of it in one task, and the tasks over 50 ms it made long; plus, in the page, Long
//   Animation Frames (PerformanceObserver, with script attribution) that name its files;
// - the load event's time (Navigation Timing loadEventStart), paired with the no-agent load
//   of the same round, against the no-agent page's own run-to-run spread.
import { fmt, fmtRatio, main, mdTable, median, ratio, runs, sleep, table, withDeadline } from './lib/common.mjs';
import { traceletBuilds } from './lib/builds.mjs';
import { AGENT_LABEL, AGENT_SRC, pageUrl, startBenchSite } from './lib/site.mjs';
import { loadSupport } from './lib/support.mjs';
import { attribute, TRACE_CATEGORIES } from './lib/trace.mjs';

const AFTER_START_MS = 500;
const READY_MS = 10_000;
const OWN = { ref: /\/bundles\/otel-web[^/]*\.js/, tracelet: /\/dist\/tracelet\.[^/]*\.js/ };

export async function run() {
  const { launchChromium } = await loadSupport();
  const builds = traceletBuilds();
  const site = await startBenchSite();
  const browser = await launchChromium();
  const R = Math.max(6, runs(8));
  const agents = ['none', 'ref', ...(builds.twoStage && AGENT_SRC['tracelet-loader'] ? ['tracelet-loader'] : []), ...(AGENT_SRC['tracelet-bundle'] ? ['tracelet-bundle'] : [])];
  const samples = Object.fromEntries(agents.map((a) => [a, []]));
  try {
    await withDeadline('page load', 300_000, async () => {
      for (let r = -1; r < R; r++) {
        // Rotate the order so no agent always goes first after a context is torn down.
        const k = ((r % agents.length) + agents.length) % agents.length;
        for (const agent of [...agents.slice(k), ...agents.slice(0, k)]) {
          const context = await browser.newContext();
          try {
            const page = await context.newPage();
            await browser.startTracing(page, { categories: TRACE_CATEGORIES });
            let trace;
            try {
              await page.goto(pageUrl(site, { agent, start: 'tag', assets: 1, probe: 1, endpoint: site.receiver.url }), { waitUntil: 'load' });
              const t0 = Date.now();
              // A two-stage agent arrives after the load event: wait for it (bounded).
              const started = async () =>
                page.evaluate(() => {
                  if (!window.Tracelet) return !!window.OtelRef;
                  const a = window.Tracelet.getAgent?.();
                  return !!a && a.enabled !== false;
                });
              if (agent !== 'none') {
                while (!(await started()) && Date.now() - t0 < READY_MS) await sleep(50);
                // A build that failed to start would look free: refuse to report it.
                if (!(await started())) throw new Error(`${agent}: the agent did not start within ${READY_MS / 1000} s of the load event`);
                await sleep(AFTER_START_MS);
              }
            } finally {
              trace = await browser.stopTracing();
            }
            const nav = await page.evaluate(() => {
              const e = performance.getEntriesByType('navigation')[0];
              return { load: e.loadEventStart, dcl: e.domContentLoadedEventStart, perf: window.__perf };
            });
            if (r < 0) continue;
            const own = agent === 'none' ? undefined : attribute(trace, OWN[agent.startsWith('tracelet') ? 'tracelet' : 'ref']);
            const re = agent.startsWith('tracelet') ? OWN.tracelet : OWN.ref;
            const loafs = (nav.perf?.loaf ?? []).filter((f) => f.start >= nav.load && f.scripts.some((s) => re.test(s.url)));
            samples[agent].push({
              load: nav.load,
              dcl: nav.dcl,
              ready: nav.perf?.ready !== undefined ? nav.perf.ready - nav.load : undefined,
              own,
              loafs: loafs.map((f) => ({ ms: f.duration, ownMs: f.scripts.filter((s) => re.test(s.url)).reduce((t, s) => t + s.duration, 0) })),
              longtasksAfterLoad: (nav.perf?.longtask ?? []).filter((t) => t.start >= nav.load).length,
            });
          } finally {
            await context.close();
          }
        }
      }
    });
  } finally {
    await browser.close();
    await site.close();
  }

  const med = (a, f) => median(samples[a].map(f));
  const m = {};
  for (const a of agents) {
    const s = samples[a];
    m[a] = {
      load: med(a, (x) => x.load),
      // Paired with the no-agent load of the same round, then the median.
      delay: a === 'none' ? NaN : median(s.map((x, i) => x.load - samples.none[i].load)),
      before: a === 'none' ? NaN : med(a, (x) => x.own.beforeLoadMs),
      after: a === 'none' ? NaN : med(a, (x) => x.own.afterLoadMs),
      maxInTask: a === 'none' ? NaN : Math.max(...s.map((x) => x.own.maxOwnInTaskAfterLoadMs)),
      longCaused: a === 'none' ? 0 : s.reduce((n, x) => n + x.own.longTasks.filter((t) => t.atMs >= 0 && t.causedByAgent).length, 0),
      longWithOwn: a === 'none' ? 0 : s.reduce((n, x) => n + x.own.longTasks.filter((t) => t.atMs >= 0).length, 0),
      loafs: s.reduce((n, x) => n + x.loafs.length, 0),
      loafMaxOwn: Math.max(0, ...s.flatMap((x) => x.loafs.map((f) => f.ownMs))),
      longtasks: s.reduce((n, x) => n + x.longtasksAfterLoad, 0),
      ready: med(a, (x) => x.ready),
      dcl: med(a, (x) => x.dcl),
    };
  }
  // The no-agent page's own run-to-run spread (median absolute deviation of its load event).
  const noise = median(samples.none.map((s) => Math.abs(s.load - m.none.load)));
  const rows = [['page', 'agent script ms before load', 'vs stock', 'load event ms', 'load delay ms', 'agent script ms after load', 'most in one task ms', 'tasks > 50 ms it made long', '… with its script in them', 'LoAF naming it (most of its script ms)', 'longtask entries after load (all)', 'DCL ms']];
  for (const a of agents) {
    const x = m[a];
    const none = a === 'none';
    rows.push([AGENT_LABEL[a], none ? '' : fmt(x.before, 2), none ? '' : fmtRatio(ratio(x.before, m.ref.before)), fmt(x.load, 1), none ? `±${fmt(noise, 1)}` : fmt(x.delay, 1), none ? '' : fmt(x.after, 1), none ? '' : fmt(x.maxInTask, 1),
      none ? '' : x.longCaused, none ? '' : x.longWithOwn, none ? '' : `${x.loafs} (${fmt(x.loafMaxOwn, 0)})`, x.longtasks, fmt(x.dcl, 1)]);
  }
  const T = agents.includes('tracelet-loader') ? 'tracelet-loader' : 'tracelet-bundle';
  const rs = ratio(m[T].before, m.ref.before);
  const within = Math.abs(m[T].delay) <= noise;
  const notes = [
    `${R} loads per page (plus a discarded warm-up round), order rotated each round, fresh context each load, traced (${TRACE_CATEGORIES.join(', ')}). Agent script = main-thread EvaluateScript/compile/FunctionCall events whose script URL is the agent's own file(s) (tracelet: dist/tracelet.*.js; stock: its bundle), nested events once; microtasks and GC carry no URL and are not counted, for any agent.`,
    `After load = from the load event until the agent has started (polled, ≤ ${READY_MS / 1000} s) and ${AFTER_START_MS} ms more. "Made long": a main-thread task over 50 ms that would be under 50 ms without the agent's script in it (counted over all loads). LoAF: Long Animation Frames after the load event whose script attribution names the agent's file.`,
    builds.twoStage
      ? `Default tag = the loader; its agent was running ${fmt(m['tracelet-loader'].ready, 0)} ms after the load event (median, onReady).`
      : `${builds.note}: the default tag is the eager bundle, so the "before load" row is the bundle.`,
    `Target: script time before the load event ≤ 0.05× of the stock stack's: ${AGENT_LABEL[T]} ${fmtRatio(rs)} — ${rs <= 0.05 ? 'met' : 'missed'}. Load-event delay within the no-agent spread (±${fmt(noise, 1)} ms, median absolute deviation): ${fmt(m[T].delay, 1)} ms — ${within ? 'within' : 'outside'}. No long task after load made long by tracelet: ${m[T].longCaused === 0 ? 'met' : `missed (${m[T].longCaused})`}.`,
  ];
  const text = ['== 4. Page-load cost (Chromium, traced) ==', table(rows), ...notes].join('\n');
  const md = ['### 4. Page-load cost (Chromium, traced)', '', mdTable(rows), '', ...notes.map((n) => '- ' + n)].join('\n');
  const headline = [
    ['page load: agent script before load', `${fmt(m[T].before, 2)} ms (${AGENT_LABEL[T]})`, `${fmt(m.ref.before, 1)} ms`, fmtRatio(rs), `≤ 0.05×: ${rs <= 0.05 ? 'met' : 'missed'}`],
    ['page load: load-event delay', `${fmt(m[T].delay, 1)} ms`, `${fmt(m.ref.delay, 1)} ms`, fmtRatio(ratio(m[T].delay, m.ref.delay)), `within ±${fmt(noise, 1)} ms: ${within ? 'yes' : 'no'}`],
    ['after load: tasks > 50 ms made long', `${m[T].longCaused} (most in one task ${fmt(m[T].maxInTask, 1)} ms)`, `${m.ref.longCaused} (${fmt(m.ref.maxInTask, 1)} ms)`, '', `0: ${m[T].longCaused === 0 ? 'met' : 'missed'}`],
  ];
  if (T === 'tracelet-loader' && m['tracelet-bundle']) {
    headline.push(['page load: bundle script before load', `${fmt(m['tracelet-bundle'].before, 1)} ms`, `${fmt(m.ref.before, 1)} ms`, fmtRatio(ratio(m['tracelet-bundle'].before, m.ref.before)), '']);
  }
  return { name: 'pageload', text, md, headline, data: { medians: m, noise, samples } };
}

await main(import.meta.url, run);
