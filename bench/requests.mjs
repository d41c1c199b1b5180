// Part 3: request overhead in Chromium. µs added per instrumented `fetch` and per XHR:
// 1,000 sequential GETs of a small same-origin JSON on loopback (each awaited, body read),
// with no agent, with tracelet and with the stock instrumentation (fetch + XHR
// instrumentations, BatchSpanProcessor, OTLP exporter), default settings. Timed in chunks
// of 100 (median of chunk means); "added" is paired with the no-agent page of the same
// run. "until ended" also waits (bounded) until the agent has ended a span per request:
// the stock instrumentations hold each span open until its resource-timing entry shows up.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fmt, fmtRatio, main, mdTable, median, ratio, runs, table, withDeadline } from './lib/common.mjs';
import { AGENT_LABEL, pageUrl, startBenchSite } from './lib/site.mjs';
import { loadSupport, ROOT } from './lib/support.mjs';

const N = 1000;
const CHUNK = 100;

/** Runs in the page. */
async function sequential({ n, chunk, kind, url }) {
  const one =
    kind === 'fetch'
      ? async (i) => {
          const r = await fetch(url + '?i=' + i);
          await r.text();
        }
      : (i) =>
          new Promise((resolve) => {
            const x = new XMLHttpRequest();
            x.open('GET', url + '?i=' + i);
            x.onloadend = resolve;
            x.send();
          });
  const e0 = window.bench.ended();
  const perChunk = [];
  const t00 = performance.now();
  for (let c = 0; c < n / chunk; c++) {
    const t0 = performance.now();
    for (let i = 0; i < chunk; i++) await one(c * chunk + i);
    perChunk.push(((performance.now() - t0) * 1000) / chunk);
  }
  const loop = performance.now() - t00;
  let settled = loop;
  if (window.bench.tracer) {
    const deadline = performance.now() + 10_000;
    while (window.bench.ended() - e0 < n && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    settled = performance.now() - t00;
  }
  return { perChunk, loopUs: (loop * 1000) / n, settledUs: (settled * 1000) / n, ended: window.bench.ended() - e0 };
}

export async function run() {
  const { launchChromium } = await loadSupport();
  const site = await startBenchSite();
  const browser = await launchChromium();
  const R = runs(3);
  const zone = existsSync(join(ROOT, 'dist/tracelet.zone.min.js'));
  // A loopback fetch costs about 2 ms in Playwright-driven Chromium on this machine, so the
  // Zone/zoneless variants only run with BENCH_FULL=1, to keep `npm run bench` near 10 minutes.
  const full = !!process.env.BENCH_FULL;
  const agents = ['none', 'tracelet', ...(zone && full ? ['tracelet-zone'] : []), 'ref', ...(full ? ['ref-nozone'] : [])];
  const per = {}; // `${agent}:${kind}` -> [{ chunkMedian, settled, ended }]
  try {
    await withDeadline('request overhead', 240_000, async () => {
      for (let r = 0; r < R; r++) {
        const order = r % 2 ? [...agents].reverse() : agents;
        for (const agent of order) {
          const context = await browser.newContext();
          try {
            const page = await context.newPage();
            await page.goto(pageUrl(site, { agent, opts: { serviceName: 'bench', endpoint: site.receiver.url } }));
            await page.waitForLoadState('load');
            for (const kind of ['fetch', 'xhr']) {
              const res = await page.evaluate(sequential, { n: N, chunk: CHUNK, kind, url: site.page.url + '/api/ping' });
              (per[`${agent}:${kind}`] ??= []).push({ loop: median(res.perChunk), settled: res.settledUs, ended: res.ended });
            }
          } finally {
            await context.close();
          }
        }
        site.receiver.reset();
      }
    });
  } finally {
    await browser.close();
    await site.close();
  }
  // Paired with the no-agent page of the same run, then the median across runs.
  const added = (agent, kind, field) => median(per[`${agent}:${kind}`].map((x, i) => x[field] - per[`none:${kind}`][i].loop));
  const rows = [['agent', 'fetch µs/req', 'fetch added', 'fetch added until ended', 'XHR µs/req', 'XHR added', 'XHR added until ended', 'spans ended / req']];
  const m = {};
  for (const a of agents) {
    const f = per[`${a}:fetch`], x = per[`${a}:xhr`];
    m[a] = { fetch: added(a, 'fetch', 'loop'), xhr: added(a, 'xhr', 'loop'), fetchEnded: added(a, 'fetch', 'settled'), xhrEnded: added(a, 'xhr', 'settled') };
    rows.push([
      AGENT_LABEL[a], fmt(median(f.map((v) => v.loop))), a === 'none' ? '' : fmt(m[a].fetch), a === 'none' ? '' : fmt(m[a].fetchEnded),
      fmt(median(x.map((v) => v.loop))), a === 'none' ? '' : fmt(m[a].xhr), a === 'none' ? '' : fmt(m[a].xhrEnded),
      a === 'none' ? '' : `${fmt(median(f.map((v) => v.ended / N)), 2)} / ${fmt(median(x.map((v) => v.ended / N)), 2)}`,
    ]);
  }
  const rf = ratio(m.tracelet.fetch, m.ref.fetch);
  const rx = ratio(m.tracelet.xhr, m.ref.xhr);
  const notes = [
    `${N} sequential requests per kind per page, ${R} pages per agent, agents alternated; "added" = agent page − no-agent page of the same run (median across runs).`,
    `Target (≤ 0.25 of the reference): fetch ${fmtRatio(rf)}, XHR ${fmtRatio(rx)} — ${rf <= 0.25 && rx <= 0.25 ? 'met' : 'missed'}.`,
    '"until ended" waits (at most 10 s) until the agent has ended as many spans as requests were made, amortized over the requests. "spans ended / req" below 1 means spans were still open (or never ended) when the wait gave up.',
  ];
  const text = ['== 3. Request overhead (Chromium, loopback) ==', table(rows), ...notes].join('\n');
  const md = ['### 3. Request overhead (Chromium, loopback)', '', mdTable(rows), '', ...notes.map((n) => '- ' + n)].join('\n');
  const headline = [
    ['fetch, added per request', `${fmt(m.tracelet.fetch)} µs`, `${fmt(m.ref.fetch)} µs`, fmtRatio(rf), `≤ 0.25×: ${rf <= 0.25 ? 'met' : 'missed'}`],
    ['XHR, added per request', `${fmt(m.tracelet.xhr)} µs`, `${fmt(m.ref.xhr)} µs`, fmtRatio(rx), `≤ 0.25×: ${rx <= 0.25 ? 'met' : 'missed'}`],
  ];
  return { name: 'requests', text, md, headline, data: { added: m, perRun: per } };
}

await main(import.meta.url, run);
