// Part 4: page-load cost in Chromium. A page with a stylesheet, an app script and six
// images, loaded in a fresh browser context with no agent, with tracelet's script tag
// (plain and `async`) and with the stock stack's script tag (OTel web + Zone + web-vitals),
// alternating, ≥ 10 runs after a discarded warm-up round. Main-thread script time from CDP
// Performance.getMetrics (ScriptDuration; TaskDuration for all main-thread work) at the load
// event and 1 s later (post-load work: document-load spans, web-vitals), and the load
// event's time from the Navigation Timing entry (loadEventStart).
import { fmt, fmtRatio, main, mdTable, median, ratio, runs, sleep, table, withDeadline } from './lib/common.mjs';
import { AGENT_LABEL, pageUrl, startBenchSite } from './lib/site.mjs';
import { loadSupport } from './lib/support.mjs';

const AFTER_LOAD_MS = 1000;

export async function run() {
  const { launchChromium } = await loadSupport();
  const site = await startBenchSite();
  const browser = await launchChromium();
  const R = Math.max(10, runs(12));
  const agents = ['none', 'tracelet', 'tracelet-async', 'ref'];
  const samples = Object.fromEntries(agents.map((a) => [a, []]));
  const metrics = async (cdp) => Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
  try {
    await withDeadline('page load', 240_000, async () => {
      for (let r = -1; r < R; r++) {
        // Rotate the order so no agent always goes first after a context is torn down.
        const k = ((r % agents.length) + agents.length) % agents.length;
        const order = [...agents.slice(k), ...agents.slice(0, k)];
        for (const agent of order) {
          const context = await browser.newContext();
          try {
            const page = await context.newPage();
            const cdp = await context.newCDPSession(page);
            await cdp.send('Performance.enable', { timeDomain: 'timeTicks' });
            const m0 = await metrics(cdp);
            await page.goto(pageUrl(site, { agent, start: 'tag', assets: 1, endpoint: site.receiver.url }), { waitUntil: 'load' });
            const m1 = await metrics(cdp);
            await sleep(AFTER_LOAD_MS);
            const m2 = await metrics(cdp);
            const nav = await page.evaluate(() => {
              const e = performance.getEntriesByType('navigation')[0];
              return {
                load: e.loadEventStart,
                dcl: e.domContentLoadedEventStart,
                started: window.Tracelet ? window.Tracelet.getAgent?.()?.enabled === true : !!window.OtelRef,
              };
            });
            // A build that failed to start would look free: refuse to report it.
            if (agent !== 'none' && !nav.started) throw new Error(`${agent}: the agent did not start from its script tag`);
            if (r >= 0) {
              samples[agent].push({
                scriptAtLoad: (m1.ScriptDuration - m0.ScriptDuration) * 1000,
                script: (m2.ScriptDuration - m0.ScriptDuration) * 1000,
                task: (m2.TaskDuration - m0.TaskDuration) * 1000,
                load: nav.load,
                dcl: nav.dcl,
              });
            }
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
  const med = (a, f) => median(samples[a].map((s) => s[f]));
  // Paired differences (run i of the agent minus run i without one), then the median.
  const added = (a, f) => median(samples[a].map((s, i) => s[f] - samples.none[i][f]));
  const rows = [['page', 'script ms @load', 'script ms @load+1s', 'added script', 'task ms @load+1s', 'added task', 'load event ms', 'added load delay', 'DCL ms']];
  const m = {};
  for (const a of agents) {
    m[a] = { script: added(a, 'script'), scriptAtLoad: added(a, 'scriptAtLoad'), task: added(a, 'task'), load: added(a, 'load') };
    rows.push([AGENT_LABEL[a], fmt(med(a, 'scriptAtLoad'), 1), fmt(med(a, 'script'), 1), a === 'none' ? '' : fmt(m[a].script, 1), fmt(med(a, 'task'), 1),
      a === 'none' ? '' : fmt(m[a].task, 1), fmt(med(a, 'load'), 1), a === 'none' ? '' : fmt(m[a].load, 1), fmt(med(a, 'dcl'), 1)]);
  }
  // The no-agent page's own run-to-run spread: how big a load delay must be to be "measurable".
  const noise = median(samples.none.map((s) => Math.abs(s.load - med('none', 'load'))));
  const rs = ratio(m.tracelet.script, m.ref.script);
  const asyncDelay = m['tracelet-async'].load;
  const notes = [
    `${R} runs per page (plus one discarded warm-up round), order rotated each run, fresh context each load; "added" = paired difference with the no-agent load of the same run, median.`,
    `Target: script time ≤ 0.2 of the reference: ${fmtRatio(rs)} — ${rs <= 0.2 ? 'met' : 'missed'}; with the async tag, no measurable load-event delay: ${fmt(asyncDelay, 1)} ms against a no-agent run-to-run spread (median absolute deviation) of ${fmt(noise, 1)} ms — ${Math.abs(asyncDelay) <= noise ? 'within noise' : 'measurable'}.`,
    'Script time counts JavaScript on the page’s main thread (CDP ScriptDuration) from navigation start; the no-agent page runs only its small app script.',
  ];
  const text = ['== 4. Page-load cost (Chromium) ==', table(rows), ...notes].join('\n');
  const md = ['### 4. Page-load cost (Chromium)', '', mdTable(rows), '', ...notes.map((n) => '- ' + n)].join('\n');
  const headline = [
    ['page load: script time added', `${fmt(m.tracelet.script, 1)} ms`, `${fmt(m.ref.script, 1)} ms`, fmtRatio(rs), `≤ 0.20×: ${rs <= 0.2 ? 'met' : 'missed'}`],
    ['page load: load-event delay', `${fmt(m.tracelet.load, 1)} ms (async ${fmt(asyncDelay, 1)})`, `${fmt(m.ref.load, 1)} ms`, fmtRatio(ratio(m.tracelet.load, m.ref.load)), `async within noise (±${fmt(noise, 1)} ms): ${Math.abs(asyncDelay) <= noise ? 'yes' : 'no'}`],
  ];
  return { name: 'pageload', text, md, headline, data: { added: m, samples, noise } };
}

await main(import.meta.url, run);
