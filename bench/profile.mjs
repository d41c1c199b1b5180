// Part 8: where the per-request time goes (issue #13), by CPU profile. tracelet's eager bundle is
// rebuilt from rollup.config.mjs WITHOUT the minifier (real function names), started from its
// script tag, and the V8 sampling profiler (CDP, 100 µs) records N sequential same-origin fetches,
// then N XHRs, awaited with the body read. Self time is summed per function and per script;
// read the shares, not the absolutes: the profiler and the DevTools session cost time too.
import { mkdir, writeFile } from 'node:fs/promises';
import { SourceMap } from 'node:module';
import { join, relative } from 'node:path';
import { rollup } from 'rollup';
import { BUNDLES, rollupConfigFor } from './lib/build.mjs';
import { traceletBuilds } from './lib/builds.mjs';
import { fmt, main, mdTable, sleep, table, withDeadline } from './lib/common.mjs';
import { pageUrl, startBenchSite } from './lib/site.mjs';
import { loadSupport, ROOT } from './lib/support.mjs';

const N = 400;
const TOP = +(process.env.TOP ?? 15);
const UNMINIFIED = 'tracelet-unminified.js';

/** The eager bundle's rollup build, output plugins (terser) dropped; returns its source map. */
async function buildUnminified(outputFile) {
  const cfg = await rollupConfigFor(outputFile);
  const cwd = process.cwd();
  process.chdir(ROOT);
  try {
    const b = await rollup({ ...cfg, onwarn: () => {} });
    const { output } = await b.generate({ ...cfg.output, file: undefined, sourcemap: true, plugins: [] });
    await b.close();
    await mkdir(BUNDLES, { recursive: true });
    await writeFile(join(BUNDLES, UNMINIFIED), output[0].code);
    return new SourceMap(JSON.parse(output[0].map.toString()));
  } finally {
    process.chdir(cwd);
  }
}

/** Runs in the page. */
async function requests({ n, kind, url }) {
  for (let i = 0; i < n; i++) {
    if (kind === 'fetch') await (await fetch(url + '?p=' + i)).text();
    else
      await new Promise((resolve) => {
        const x = new XMLHttpRequest();
        x.open('GET', url + '?p=' + i);
        x.onloadend = resolve;
        x.send();
      });
  }
}

/** Where a bundle position came from: an npm package, or tracelet's src/ file. */
function moduleOf(map, line, column) {
  const src = map.findEntry(line, column)?.originalSource;
  if (!src) return '(unmapped)';
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(src);
  if (m) return m[1];
  const i = src.lastIndexOf('src/');
  return i >= 0 ? 'tracelet ' + src.slice(i) : relative(ROOT, src);
}

/** Self time (ms) per function, per script URL and per source module from a CDP Profiler profile. */
function selfTimes(profile, map) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  for (let i = 0; i < profile.samples.length; i++) self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  const fns = new Map();
  const scripts = new Map();
  const modules = new Map();
  let total = 0;
  for (const [id, ms] of self) {
    const f = byId.get(id).callFrame;
    const script = f.url ? f.url.replace(/^https?:\/\/[^/]+/, '').replace(/\?.*$/, '') : f.functionName.startsWith('(') ? f.functionName : '(native / no script)';
    if (f.functionName !== '(idle)') total += ms;
    scripts.set(script, (scripts.get(script) ?? 0) + ms);
    const mod = f.url.includes(UNMINIFIED) ? moduleOf(map, f.lineNumber, f.columnNumber) : undefined;
    if (mod) modules.set(mod, (modules.get(mod) ?? 0) + ms);
    const e = mod && !f.functionName ? map.findEntry(f.lineNumber, f.columnNumber) : undefined;
    const key = `${f.functionName || '(anonymous)'}  ${mod ?? ''}${e ? ':' + (e.originalLine + 1) + ':' + (e.originalColumn + 1) : ''}`.trim();
    fns.set(key, (fns.get(key) ?? 0) + ms);
  }
  return { total, fns, scripts, modules };
}

export async function run() {
  const builds = traceletBuilds();
  const file = builds.bundle;
  if (!file) throw new Error(`no eager bundle to profile (${builds.note})`);
  const map = await buildUnminified(file);
  const { launchChromium } = await loadSupport();
  const site = await startBenchSite();
  const browser = await launchChromium();
  const prof = {};
  try {
    await withDeadline('profile', 180_000, async () => {
      const context = await browser.newContext();
      try {
        const page = await context.newPage();
        await page.goto(pageUrl(site, { agent: 'tracelet-unminified', start: 'tag', endpoint: site.receiver.url }), { waitUntil: 'load' });
        const t0 = Date.now();
        while (!(await page.evaluate(() => !!window.Tracelet?.getAgent?.())) && Date.now() - t0 < 10_000) await sleep(50);
        const cdp = await context.newCDPSession(page);
        await cdp.send('Profiler.enable');
        await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
        for (const kind of ['fetch', 'xhr']) {
          await page.evaluate(requests, { n: 20, kind, url: site.page.url + '/api/ping' }); // warm-up
          await cdp.send('Profiler.start');
          await page.evaluate(requests, { n: N, kind, url: site.page.url + '/api/ping' });
          await sleep(400); // the spans' 300 ms end timers
          prof[kind] = selfTimes((await cdp.send('Profiler.stop')).profile, map);
        }
      } finally {
        await context.close();
      }
    });
  } finally {
    await browser.close();
    await site.close();
  }
  const parts = [];
  const mdParts = [];
  for (const kind of ['fetch', 'xhr']) {
    const p = prof[kind];
    const scriptRows = [['script', 'self ms', 'µs / request', '% of busy']];
    for (const [s, ms] of [...p.scripts].sort((a, b) => b[1] - a[1]).filter(([s]) => s !== '(idle)').slice(0, 8)) scriptRows.push([s, fmt(ms, 1), fmt((ms * 1000) / N), fmt((100 * ms) / p.total, 1)]);
    const modRows = [['tracelet bundle, by source module', 'self ms', 'µs / request', '% of busy']];
    for (const [f, ms] of [...p.modules].sort((a, b) => b[1] - a[1]).slice(0, 12)) modRows.push([f, fmt(ms, 1), fmt((ms * 1000) / N), fmt((100 * ms) / p.total, 1)]);
    const fnRows = [['function (source module)', 'self ms', 'µs / request', '% of busy']];
    for (const [f, ms] of [...p.fns].sort((a, b) => b[1] - a[1]).filter(([f]) => !f.startsWith('(idle)')).slice(0, TOP)) fnRows.push([f, fmt(ms, 1), fmt((ms * 1000) / N), fmt((100 * ms) / p.total, 1)]);
    const title = `${kind === 'xhr' ? 'XHR' : 'fetch'}: ${N} sequential requests, ${fmt(p.total, 0)} ms busy (not idle) in the profile`;
    parts.push(title, table(scriptRows), '', table(modRows), '', table(fnRows), '');
    mdParts.push(`**${title}**`, '', mdTable(scriptRows), '', mdTable(modRows), '', mdTable(fnRows), '');
  }
  const notes = [
    `tracelet's ${file} rebuilt without terser (${UNMINIFIED}), one page, the V8 sampling profiler at 100 µs through CDP (a DevTools session: the absolute numbers are inflated, the shares are what to read). "(program)" is the browser's own work outside JavaScript; "(garbage collector)" is GC.`,
  ];
  const text = ['== 8. Where the per-request time goes (CPU profile) ==', ...parts, ...notes].join('\n');
  const md = ['### 8. Where the per-request time goes (CPU profile)', '', ...mdParts, ...notes.map((n) => '- ' + n)].join('\n');
  const data = Object.fromEntries(['fetch', 'xhr'].map((k) => [k, { scripts: Object.fromEntries(prof[k].scripts), modules: Object.fromEntries(prof[k].modules) }]));
  return { name: 'profile', text, md, headline: [], data };
}

await main(import.meta.url, run);
