// Part 6: wire cost. Bytes on the wire per span for a typical fetch span: after the page
// has loaded and its own spans are exported, the page makes K same-origin fetches, waits
// until the agent has ended their spans, and flushes. Bytes are the request bodies the
// receiver got (OTLP/JSON, uncompressed — neither agent compresses); K = 1 shows a lone
// span with its envelope (resource, scope), K = 20 the amortized cost, and the marginal
// cost of one more span is (bytes(20) − bytes(1)) / 19.
import { fmt, fmtRatio, main, mdTable, median, ratio, runs, sleep, table, withDeadline } from './lib/common.mjs';
import { AGENT_LABEL, pageUrl, startBenchSite } from './lib/site.mjs';
import { loadSupport } from './lib/support.mjs';

const KS = [1, 20];

async function fetches({ k, url }) {
  const e0 = window.bench.ended();
  for (let i = 0; i < k; i++) await (await fetch(url + '?item=' + i)).text();
  const deadline = performance.now() + 5000;
  while (window.bench.ended() - e0 < k && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  await window.bench.flush();
  return window.bench.ended() - e0;
}

export async function run() {
  const { launchChromium } = await loadSupport();
  const site = await startBenchSite();
  const browser = await launchChromium();
  const R = runs(2);
  const agents = ['tracelet', 'ref'];
  const res = {}; // `${agent}:${k}` -> [{bytes, spans, other, perSpan}]
  let sample = {};
  try {
    await withDeadline('wire', 120_000, async () => {
      for (let r = 0; r < R; r++) {
        for (const agent of agents) {
          for (const k of KS) {
            const context = await browser.newContext();
            try {
              const page = await context.newPage();
              await page.goto(pageUrl(site, { agent, opts: { serviceName: 'shop-web', endpoint: site.receiver.url } }), { waitUntil: 'load' });
              // Let the page-load spans end and leave first.
              await sleep(1000);
              await page.evaluate(() => window.bench.flush());
              await sleep(200);
              site.receiver.reset();
              await page.evaluate(fetches, { k, url: site.page.url + '/api/ping' });
              await sleep(200);
              const posts = site.receiver.state.requests.filter((q) => q.method === 'POST');
              const bytes = posts.reduce((s, q) => s + q.bytes, 0);
              const spans = posts.reduce((s, q) => s + q.spans, 0);
              const fetchSpans = site.receiver.state.names.filter((n) => /GET/.test(n)).length;
              (res[`${agent}:${k}`] ??= []).push({ bytes, spans, fetchSpans, perSpan: bytes / spans });
              if (k === 1 && !sample[agent] && posts[0]) sample[agent] = posts[0].body;
            } finally {
              await context.close();
            }
          }
        }
      }
    });
  } finally {
    await browser.close();
    await site.close();
  }
  const m = (a, k, f) => median(res[`${a}:${k}`].map((x) => x[f]));
  const rows = [['agent', 'K=1: bytes', 'K=20: bytes', 'K=20: B/span', 'marginal B/span', 'spans in K=20 (fetch)']];
  const out = {};
  for (const a of agents) {
    out[a] = { one: m(a, 1, 'bytes'), twenty: m(a, 20, 'bytes'), perSpan: m(a, 20, 'perSpan'), marginal: (m(a, 20, 'bytes') - m(a, 1, 'bytes')) / 19 };
    rows.push([AGENT_LABEL[a], fmt(out[a].one), fmt(out[a].twenty), fmt(out[a].perSpan), fmt(out[a].marginal), `${fmt(m(a, 20, 'spans'))} (${fmt(m(a, 20, 'fetchSpans'))})`]);
  }
  // One span of each, as received: what the bytes are made of.
  const oneSpan = (body) => body?.resourceSpans?.[0]?.scopeSpans?.flatMap((s) => s.spans).find((s) => /GET/.test(s.name));
  const attrKeys = (a) => (oneSpan(sample[a])?.attributes ?? []).map((x) => x.key).join(', ');
  const notes = [
    `${R} fresh pages per agent and K; OTLP/JSON bodies as received (neither agent gzips). A span count above K means other spans rode along.`,
    ...agents.map((a) => `${AGENT_LABEL[a]} fetch span attributes: ${attrKeys(a) || 'n/a'}; events: ${(oneSpan(sample[a])?.events ?? []).length}.`),
  ];
  const r = ratio(out.tracelet.marginal, out.ref.marginal);
  const text = ['== 6. Wire cost (typical fetch span) ==', table(rows), ...notes].join('\n');
  const md = ['### 6. Wire cost (typical fetch span)', '', mdTable(rows), '', ...notes.map((n) => '- ' + n)].join('\n');
  const headline = [['wire: bytes per fetch span', `${fmt(out.tracelet.marginal)} B`, `${fmt(out.ref.marginal)} B`, fmtRatio(r), '']];
  return { name: 'wire', text, md, headline, data: { out, res } };
}

await main(import.meta.url, run);
