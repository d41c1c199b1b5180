// Part 6: wire cost. Bytes on the wire per span for a typical fetch span: after the page
// has loaded and its own spans are exported, the page makes K same-origin fetches, waits
// until the agent has ended their spans, and flushes. K = 1 shows a lone span with its
// envelope (resource, scope), K = 20 the amortized cost, and the marginal cost of one more
// span is (bytes(20) − bytes(1)) / 19. Each body the receiver got is measured as OTLP/JSON
// (its uncompressed size), as it crossed the wire (tracelet gzips with CompressionStream;
// the stock exporter sends plain JSON), gzipped by tracelet's gzipSync (what leaves at
// exit) and by zlib -6 (what CompressionStream gives, for the stock exporter's JSON too).
// One received fetch span of each agent is printed, and tracelet's is taken apart: how many
// bytes its ids and timestamps, each attribute and the network timing events take.
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync as zlibGzip } from 'node:zlib';
import ts from 'typescript';
import { fmt, fmtRatio, main, mdTable, median, ratio, runs, sleep, table, withDeadline } from './lib/common.mjs';
import { AGENT_LABEL, pageUrl, startBenchSite } from './lib/site.mjs';
import { loadSupport, OUT, ROOT } from './lib/support.mjs';

/** tracelet's synchronous gzip (src/core/gzipSync.ts, no imports), transpiled for Node. */
async function loadGzipSync() {
  const src = await readFile(join(ROOT, 'src/core/gzipSync.ts'), 'utf8');
  const { outputText } = ts.transpileModule(src, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } });
  await mkdir(OUT, { recursive: true });
  await writeFile(join(OUT, 'gzipSync.mjs'), outputText);
  return (await import(join(OUT, 'gzipSync.mjs'))).gzipSync;
}

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
  const gzipSync = await loadGzipSync();
  const site = await startBenchSite();
  const browser = await launchChromium();
  const R = runs(2);
  const agents = ['tracelet', 'ref'];
  const res = {}; // `${agent}:${k}` -> [{ json, wire, sync, zlib, spans, fetchSpans }]
  const sample = {};
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
              const m = { json: 0, wire: 0, sync: 0, zlib: 0, spans: 0 };
              for (const q of posts) {
                const json = Buffer.from(JSON.stringify(q.body));
                m.json += json.length;
                m.wire += q.bytes;
                m.sync += gzipSync(json).length;
                m.zlib += zlibGzip(json).length;
                m.spans += q.spans;
              }
              m.fetchSpans = site.receiver.state.names.filter((n) => /GET/.test(n)).length;
              (res[`${agent}:${k}`] ??= []).push(m);
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
  /** Marginal bytes of one more span, by measure. */
  const marginal = (a, f) => (m(a, 20, f) - m(a, 1, f)) / 19;
  const MEASURES = {
    tracelet: [
      ['OTLP/JSON, as built', 'json'],
      ['on the wire (CompressionStream gzip)', 'wire'],
      ['zlib -6 (≈ CompressionStream)', 'zlib'],
      ['gzipSync (exit)', 'sync'],
    ],
    ref: [
      ['OTLP/JSON = on the wire', 'json'],
      ['if it were gzipped (zlib -6)', 'zlib'],
    ],
  };
  const rows = [['agent', 'bytes as', 'K=1: bytes', 'K=20: bytes', 'marginal B/span']];
  const out = {};
  for (const a of agents) {
    out[a] = {};
    for (const [label, f] of MEASURES[a]) {
      out[a][f] = { one: m(a, 1, f), twenty: m(a, 20, f), marginal: marginal(a, f) };
      rows.push([AGENT_LABEL[a], label, fmt(out[a][f].one), fmt(out[a][f].twenty), fmt(out[a][f].marginal)]);
    }
    out[a].spans = m(a, 20, 'spans');
    out[a].fetchSpans = m(a, 20, 'fetchSpans');
  }
  // One span of each, as received: what the bytes are made of.
  const oneSpan = (body) => body?.resourceSpans?.[0]?.scopeSpans?.flatMap((s) => s.spans).find((s) => /GET/.test(s.name));
  const bytes = (x) => Buffer.byteLength(JSON.stringify(x));
  /** A span taken apart, adding up to its size: ids, name, kind and times; the attribute list around its items (one comma fewer than items); each attribute with its comma; the events. */
  const parts = (s) => {
    if (!s) return 'n/a';
    const { attributes = [], events = [], ...rest } = s;
    const out = [`ids, name, kind, times ${bytes(rest)}`];
    if (attributes.length) out.push(`"attributes":[] ${bytes({ attributes: [] }) - 2}`, ...attributes.map((x) => `${x.key} ${bytes(x) + 1}`));
    if (events.length) out.push(`events ${bytes({ events }) - 2 + 1} (${events.map((e) => e.name).join(', ')})`);
    return out.join('; ');
  };
  const attrKeys = (a) => (oneSpan(sample[a])?.attributes ?? []).map((x) => x.key).join(', ');
  const notes = [
    `${R} fresh pages per agent and K; spans in K=20: tracelet ${fmt(out.tracelet.spans)} (${fmt(out.tracelet.fetchSpans)} fetch), reference ${fmt(out.ref.spans)} (${fmt(out.ref.fetchSpans)} fetch). A span count above K means other spans rode along.`,
    ...agents.map((a) => `${AGENT_LABEL[a]} fetch span attributes: ${attrKeys(a) || 'n/a'}; events: ${(oneSpan(sample[a])?.events ?? []).length}.`),
    ...agents.map((a) => {
      const s = oneSpan(sample[a]);
      return `${AGENT_LABEL[a]} fetch span as received (${s ? bytes(s) : 'n/a'} B): ${s ? JSON.stringify(s) : 'n/a'}`;
    }),
    `tracelet's span in bytes: ${parts(oneSpan(sample.tracelet))}.`,
    `gzip/JSON per span (marginal): tracelet on the wire ${fmt(ratio(out.tracelet.wire.marginal, out.tracelet.json.marginal), 2)}, gzipSync ${fmt(ratio(out.tracelet.sync.marginal, out.tracelet.json.marginal), 2)}.`,
  ];
  const r = ratio(out.tracelet.json.marginal, out.ref.json.marginal);
  const rw = ratio(out.tracelet.wire.marginal, out.ref.json.marginal);
  const text = ['== 6. Wire cost (typical fetch span) ==', table(rows), ...notes].join('\n');
  const md = ['### 6. Wire cost (typical fetch span)', '', mdTable(rows), '', ...notes.map((n) => '- ' + n)].join('\n');
  const headline = [
    ['wire: JSON bytes per fetch span', `${fmt(out.tracelet.json.marginal)} B`, `${fmt(out.ref.json.marginal)} B`, fmtRatio(r), '≤ 500 B'],
    ['wire: bytes on the wire per fetch span', `${fmt(out.tracelet.wire.marginal)} B`, `${fmt(out.ref.json.marginal)} B`, fmtRatio(rw), 'gzip'],
  ];
  return { name: 'wire', text, md, headline, data: { out, res } };
}

await main(import.meta.url, run);
