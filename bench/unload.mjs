// Part 5: unload loss (issue 3's benchmark). 200 or 2,000 spans are created and the page
// navigates away at once; spans delivered to the receiver are counted, for the stock stack
// (BatchSpanProcessor + exporter-trace-otlp-http, default settings) and for tracelet
// (default settings), with the endpoint on the page's own origin and on another origin
// that answers CORS like the Collector. After 200 spans the page goes to a blank page of
// the same origin; after 2,000 it goes to another page of the same origin running the
// same agent (tracelet sends what it stored at exit from there). Chromium with the
// back/forward cache on, a fresh context per run, left open until delivery settles.
import { fmt, main, mdTable, median, runs, sleep, table, withDeadline } from './lib/common.mjs';
import { AGENT_LABEL, pageUrl, startBenchSite } from './lib/site.mjs';
import { loadSupport } from './lib/support.mjs';

const SETTLE_IDLE_MS = 3000;
const SETTLE_MAX_MS = 20_000;

/** Waits until every span arrived (plus a moment for duplicates) or nothing new came for a while. */
async function settle(receiver, prefix, n) {
  const start = Date.now();
  let last = -1;
  let lastChange = Date.now();
  for (;;) {
    const c = receiver.count(prefix);
    if (c.distinct >= n) {
      await sleep(300);
      return receiver.count(prefix);
    }
    if (c.total !== last) {
      last = c.total;
      lastChange = Date.now();
    }
    if (Date.now() - lastChange > SETTLE_IDLE_MS || Date.now() - start > SETTLE_MAX_MS) return c;
    await sleep(100);
  }
}

export async function run() {
  const { launchChromium } = await loadSupport();
  const site = await startBenchSite();
  const browser = await launchChromium({ backForwardCache: true });
  const R = runs(3);
  const agents = ['tracelet', 'ref'];
  const scenarios = [];
  for (const n of [200, 2000]) for (const where of ['same-origin', 'cross-origin']) scenarios.push({ n, where });
  const got = {}; // key -> [{distinct, total}]
  let maxBody = {};
  try {
    await withDeadline('unload', 300_000, async () => {
      for (let r = 0; r < R; r++) {
        for (const { n, where } of scenarios) {
          for (const agent of r % 2 ? [...agents].reverse() : agents) {
            const endpoint = where === 'same-origin' ? site.sameOriginEndpoint : site.receiver.url;
            const prefix = `${agent}-${where}-${n}-r${r}-`;
            const url = pageUrl(site, { agent, opts: { serviceName: 'bench', endpoint } });
            const next = n === 200 ? `${site.page.url}/blank.html` : url;
            const context = await browser.newContext();
            try {
              const page = await context.newPage();
              await page.goto(url, { waitUntil: 'load' });
              await page.evaluate(([count, p, to]) => {
                window.makeSpans(count, p);
                location.href = to;
              }, [n, prefix, next]);
              const delivered = await settle(site.receiver, prefix, n);
              // What tracelet kept in localStorage for the next page view of the origin (the
              // blank page after 200 spans runs no agent, so it stays there): counted, not sent.
              // Not the copies of what left gzipped on a guess (`…:gz`, src/browser/pageExit.ts).
              const stored = await page
                .evaluate((p) => {
                  let k = 0;
                  for (let i = 0; i < localStorage.length; i++) {
                    const key = localStorage.key(i) ?? '';
                    if (!key.endsWith(':gz')) k += (localStorage.getItem(key) ?? '').split(p).length - 1;
                  }
                  return k;
                }, prefix)
                .catch(() => NaN);
              (got[`${agent}:${where}:${n}`] ??= []).push({ ...delivered, stored });
            } finally {
              await context.close();
            }
            for (const q of site.receiver.state.requests) maxBody[agent] = Math.max(maxBody[agent] ?? 0, q.bytes);
            site.receiver.reset();
          }
        }
      }
    });
  } finally {
    await browser.close();
    await site.close();
  }
  const rows = [['scenario', ...agents.map((a) => `${AGENT_LABEL[a]} delivered (min–max)`), ...agents.map((a) => `${AGENT_LABEL[a]} duplicates`), 'tracelet: kept in localStorage']];
  const headline = [];
  for (const { n, where } of scenarios) {
    const cell = (a) => {
      const xs = got[`${a}:${where}:${n}`] ?? [];
      const d = xs.map((x) => x.distinct);
      return `${fmt(median(d))} / ${n} (${Math.min(...d)}–${Math.max(...d)})`;
    };
    const dups = (a) => fmt(median((got[`${a}:${where}:${n}`] ?? []).map((x) => x.total - x.distinct)));
    const stored = fmt(median((got[`tracelet:${where}:${n}`] ?? []).map((x) => x.stored)));
    rows.push([`${n} spans, ${where} endpoint`, ...agents.map(cell), ...agents.map(dups), stored]);
    headline.push([`unload: ${n} spans, ${where}`, cell('tracelet').replace(/ \(.*\)/, '') + (stored !== '0' ? ` (+${stored} stored)` : ''), cell('ref').replace(/ \(.*\)/, ''), '', 'all delivered']);
  }
  const notes = [
    `${R} runs per scenario (median, min–max of distinct span names received). Default settings for both agents; the page navigates right after creating the spans; 200 → a blank same-origin page, 2,000 → another page of the same origin running the same agent.`,
    'Duplicates: span names received more than once (median over runs). "Kept in localStorage": spans of this run tracelet stored at exit for the next page view of the origin, still there when delivery settled.',
    `Largest request body seen: ${agents.map((a) => `${AGENT_LABEL[a]} ${maxBody[a] ?? 0} B`).join(', ')} (browsers allow 64 KiB of keepalive/beacon body in flight at exit).`,
  ];
  const text = ['== 5. Unload loss (Chromium, bfcache on) ==', table(rows), ...notes].join('\n');
  const md = ['### 5. Unload loss (Chromium, bfcache on)', '', mdTable(rows), '', ...notes.map((n) => '- ' + n)].join('\n');
  return { name: 'unload', text, md, headline, data: { got, maxBody } };
}

await main(import.meta.url, run);
