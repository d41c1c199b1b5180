// Part 2: the span hot path in Chromium. ns per `startSpan` + 3 `setAttribute` + `end`,
// through to the agent's queue, sampled and unsampled (sampleRate 0), tracelet against the
// stock stack (BatchSpanProcessor + OTLPTraceExporter pointed at the receiver).
//
// Each sample times N spans in a loop inside the page (cross-origin isolated, so
// performance.now() has 5 µs resolution); the queue is emptied between samples with
// flush(), outside the timing. Both agents get maxQueueSize = maxExportBatchSize = N + 1,
// so no export starts inside the timed loop and nothing is dropped: the number is the
// cost of creating a span and queueing it. A second measurement keeps the default
// settings (queue 2048, batch 512) and times bursts of 2,000 spans (median of 7), where the stock
// BatchSpanProcessor serializes and sends a 512-span batch synchronously inside the loop.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fmt, fmtRatio, main, mdTable, median, ratio, runs, table, withDeadline } from './lib/common.mjs';
import { AGENT_LABEL, pageUrl, startBenchSite } from './lib/site.mjs';
import { loadSupport, ROOT } from './lib/support.mjs';

const N_SAMPLED = 2000;
const N_UNSAMPLED = 20000;
const SAMPLES = 15;
const WARMUP = 4;
const BURST = 2000;

/** Runs in the page: per-sample ns/span. */
async function timeSpans({ n, samples, warmup }) {
  const tracer = window.bench.tracer;
  const out = [];
  for (let s = 0; s < warmup + samples; s++) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const span = tracer.startSpan('op');
      span.setAttribute('i', i);
      span.setAttribute('kind', 'bench');
      span.setAttribute('ok', true);
      span.end();
    }
    const dt = performance.now() - t0;
    if (s >= warmup) out.push((dt * 1e6) / n);
    await window.bench.flush();
    await new Promise((r) => setTimeout(r, 0));
  }
  return { perSpan: out, isolated: globalThis.crossOriginIsolated === true, ended: window.bench.ended() };
}

/** Runs in the page: bursts with the agent's default buffer settings, queue emptied between them; ns/span per burst. */
async function timeBurst({ n, bursts, warmup }) {
  const tracer = window.bench.tracer;
  const out = [];
  for (let b = 0; b < warmup + bursts; b++) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const span = tracer.startSpan('op');
      span.setAttribute('i', i);
      span.setAttribute('kind', 'bench');
      span.setAttribute('ok', true);
      span.end();
    }
    const dt = performance.now() - t0;
    if (b >= warmup) out.push((dt * 1e6) / n);
    await window.bench.flush();
    await new Promise((r) => setTimeout(r, 0));
  }
  return out;
}

export async function run() {
  const { launchChromium } = await loadSupport();
  const site = await startBenchSite();
  const browser = await launchChromium();
  const R = runs(5);
  const zone = existsSync(join(ROOT, 'dist/tracelet.zone.min.js'));
  const agents = ['tracelet', ...(zone ? ['tracelet-zone'] : []), 'ref', 'ref-nozone'];
  const results = {}; // key -> [median per run]
  const push = (k, v) => (results[k] ??= []).push(v);
  let isolated = true;
  try {
    await withDeadline('hot path', 240_000, async () => {
      const page = async (agent, opts, fn, arg) => {
        const context = await browser.newContext();
        try {
          const p = await context.newPage();
          await p.goto(pageUrl(site, { agent, coi: 1, opts: { serviceName: 'bench', endpoint: site.receiver.url, ...opts } }));
          return await p.evaluate(fn, arg);
        } finally {
          await context.close();
        }
      };
      for (let r = 0; r < R; r++) {
        // Alternate the order each run so drift (thermal, GC, the receiver) spreads evenly.
        const order = r % 2 ? [...agents].reverse() : agents;
        const api = await page('api', {}, timeSpans, { n: N_UNSAMPLED, samples: SAMPLES, warmup: WARMUP });
        push('api', median(api.perSpan));
        for (const agent of order) {
          const big = { maxQueueSize: N_SAMPLED + 1, maxExportBatchSize: N_SAMPLED + 1, scheduledDelayMillis: 60_000 };
          const s = await page(agent, { ...big, sampleRate: 1 }, timeSpans, { n: N_SAMPLED, samples: SAMPLES, warmup: WARMUP });
          isolated &&= s.isolated;
          push(`${agent}:sampled`, median(s.perSpan));
          const u = await page(agent, { ...big, sampleRate: 0 }, timeSpans, { n: N_UNSAMPLED, samples: SAMPLES, warmup: WARMUP });
          push(`${agent}:unsampled`, median(u.perSpan));
          push(`${agent}:burst`, median(await page(agent, { sampleRate: 1 }, timeBurst, { n: BURST, bursts: 7, warmup: 3 })));
        }
        site.receiver.reset();
      }
    });
  } finally {
    await browser.close();
    await site.close();
  }
  const m = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, median(v)]));
  const rows = [['agent', 'sampled ns/span', 'unsampled ns/span', 'burst of 2,000, defaults, ns/span', 'sampled vs OTel+Zone', 'sampled vs OTel no Zone']];
  for (const a of agents) {
    rows.push([AGENT_LABEL[a], fmt(m[`${a}:sampled`]), fmt(m[`${a}:unsampled`]), fmt(m[`${a}:burst`]),
      fmtRatio(ratio(m[`${a}:sampled`], m['ref:sampled'])), fmtRatio(ratio(m[`${a}:sampled`], m['ref-nozone:sampled']))]);
  }
  rows.push([AGENT_LABEL.api, fmt(m.api, 1), fmt(m.api, 1), '', '', '']);
  const r07 = ratio(m['tracelet:sampled'], m['ref:sampled']);
  const notes = [
    `Median over ${R} fresh pages per agent of the median of ${SAMPLES} samples (after ${WARMUP} warm-up samples); sampled: ${N_SAMPLED} spans per sample, unsampled and no-op: ${N_UNSAMPLED}.`,
    `Target (sampled, ≤ 0.7 of the reference): ${fmtRatio(r07)} — ${r07 <= 0.7 ? 'met' : 'missed'}. Unsampled: ${fmtRatio(ratio(m['tracelet:unsampled'], m['ref:unsampled']))} of the reference.`,
    'The burst column keeps default buffers (queue 2048, batch 512): the stock BatchSpanProcessor serializes and posts a 512-span batch synchronously inside the loop once 512 spans wait; tracelet encodes later, in its export timer.',
    isolated ? 'Pages were cross-origin isolated (5 µs timer resolution).' : 'WARNING: pages were not cross-origin isolated (100 µs timer resolution).',
  ];
  const text = ['== 2. Span hot path (Chromium) ==', table(rows), ...notes].join('\n');
  const md = ['### 2. Span hot path (Chromium)', '', mdTable(rows), '', ...notes.map((n) => '- ' + n)].join('\n');
  const headline = [
    ['span, sampled', `${fmt(m['tracelet:sampled'])} ns`, `${fmt(m['ref:sampled'])} ns`, fmtRatio(r07), `≤ 0.70×: ${r07 <= 0.7 ? 'met' : 'missed'}`],
    ['span, unsampled', `${fmt(m['tracelet:unsampled'])} ns`, `${fmt(m['ref:unsampled'])} ns`, fmtRatio(ratio(m['tracelet:unsampled'], m['ref:unsampled'])), ''],
  ];
  return { name: 'hotpath', text, md, headline, data: { medians: m, perRun: results } };
}

await main(import.meta.url, run);
