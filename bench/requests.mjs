// Part 3: request overhead in Chromium (issue #13). One page per agent alternates blocks of
// requests made with the NATIVE fetch / XMLHttpRequest (captured by the page's first script,
// before the agent's tag) and blocks made with the globals (instrumented by the agent), so each
// instrumented block is paired with a native block of the same round, same page, same moment.
// The browser is spawned without any DevTools client (bench/lib/chromium.mjs): the page runs
// on its own and POSTs its samples to the bench server. Cross-origin isolated page (5 µs timer).
//
// Per request (same-origin GET of a small JSON on loopback, awaited, body read):
// - sync: time inside the call itself, `fetch(url)` or `open()+send()`: what the caller pays
//   before it gets control back;
// - added per request: start → body read (loadend), instrumented − native block of the round;
// - until ended: after the rounds, single instrumented requests, each followed by polling
//   between tasks (bounded) until the agent counts its span as ended: the latency of the end,
//   and the main-thread time the end work took meanwhile; "added until ended" = added + end work.
// Medians over rounds, with the interquartile range of the per-round differences.
import { join } from 'node:path';
import { fmt, fmtRatio, main, mdTable, median, quantile, ratio, runs, table, withDeadline } from './lib/common.mjs';
import { traceletBuilds } from './lib/builds.mjs';
import { openWithoutDevTools } from './lib/chromium.mjs';
import { addedByFrame, blockMarks, PROFILE_CATEGORY, selfTimeByWindow } from './lib/traceProfile.mjs';
import { AGENT_LABEL, AGENT_SRC, agentTag, htmlHeaders, MISSING_AGENT_SRC, startBenchSite } from './lib/site.mjs';
import { ROOT } from './lib/support.mjs';

const K = 5; // requests per block
const ENDS = 8; // span-end samples per kind per page
const WARMUP = 8; // rounds per page, discarded
const PAGE_TIMEOUT_MS = 150_000;

/** Runs in the page (serialized into it): the whole measurement, then one POST of the samples. */
async function driver(cfg) {
  const N = window.__native;
  const now = () => performance.now();
  const out = { id: cfg.id, errors: [], isolated: globalThis.crossOriginIsolated === true, rounds: [] };
  addEventListener('error', (e) => out.errors.push(String(e.message)));
  addEventListener('unhandledrejection', (e) => out.errors.push('unhandled rejection: ' + String(e.reason)));
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  // Yields one task without setTimeout's 4 ms clamp.
  const tick = () =>
    new Promise((r) => {
      const c = new globalThis.MessageChannel();
      c.port1.onmessage = () => r();
      c.port2.postMessage(0);
    });
  const med = (xs) => {
    const a = [...xs].sort((p, q) => p - q);
    return a.length % 2 ? a[a.length >> 1] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
  };
  try {
    if (document.readyState !== 'complete') await new Promise((r) => addEventListener('load', r, { once: true }));
    const t0 = now();
    let ended; // () => spans ended so far; undefined where nothing ends spans
    if (cfg.kind.startsWith('ref')) ended = () => window.__ended;
    else if (cfg.kind === 'tracelet-full') {
      let a;
      while (!(a = window.Tracelet?.getAgent?.()) && now() - t0 < cfg.readyMs) await sleep(20);
      if (!a) throw new Error(`no agent ${cfg.readyMs} ms after the load event`);
      out.agentAfterLoadMs = now() - t0;
      ended = () => {
        const s = a.stats();
        let n = s.exported + s.queued;
        for (const k in s.dropped) n += s.dropped[k];
        return n;
      };
    } else if (cfg.kind === 'tracelet-loader-only') {
      // Until the loader has asked for the agent (its 404 shows in Resource Timing), then a moment.
      const asked = () => performance.getEntriesByType('resource').some((e) => e.name.includes(cfg.agentSrc));
      while (!asked() && now() - t0 < cfg.readyMs) await sleep(20);
      out.agentRequested = asked();
      await sleep(200);
      if (window.Tracelet?.getAgent?.()) throw new Error('the agent started although its file answers 404');
    }
    let seq = 0;
    const next = () => cfg.url + '?i=' + seq++;
    const one = {
      fetch: {
        native: async (u) => {
          const a = now();
          const p = N.fetch.call(window, u);
          const b = now();
          await (await p).text();
          return [b - a, now() - a];
        },
        instr: async (u) => {
          const a = now();
          const p = fetch(u);
          const b = now();
          await (await p).text();
          return [b - a, now() - a];
        },
      },
      xhr: {
        native: (u) =>
          new Promise((resolve) => {
            const x = new N.XHR();
            const a = now();
            N.open.call(x, 'GET', u);
            N.send.call(x);
            const b = now();
            x.onloadend = () => resolve([b - a, now() - a]);
          }),
        instr: (u) =>
          new Promise((resolve) => {
            const x = new XMLHttpRequest();
            const a = now();
            x.open('GET', u);
            x.send();
            const b = now();
            x.onloadend = () => resolve([b - a, now() - a]);
          }),
      },
    };
    const block = async (kind, mode, r) => {
      const sync = [];
      const total = [];
      // Traced pages (cpu): a mark opens the block's window, and a pause after it lets the
      // block's deferred work (span ends, the stock stack's 300 ms timers) land in its window.
      if (cfg.gapMs) performance.mark(`tlb ${r} ${kind} ${mode}`);
      const tb = now();
      for (let i = 0; i < cfg.k; i++) {
        const [s, t] = await one[kind][mode](next());
        sync.push(s);
        total.push(t);
      }
      // µs: median sync call, median request, mean request (block wall time / K).
      const res = [med(sync) * 1000, med(total) * 1000, ((now() - tb) * 1000) / cfg.k];
      if (cfg.gapMs) await sleep(cfg.gapMs);
      return res;
    };
    for (let r = 0; r < cfg.warmup + cfg.rounds; r++) {
      const row = {};
      for (const kind of ['fetch', 'xhr']) {
        row[kind] = {};
        // Alternate which block goes first, so neither always follows the other's leftovers.
        for (const mode of r % 2 ? ['instr', 'native'] : ['native', 'instr']) row[kind][mode] = await block(kind, mode, r);
      }
      if (r >= cfg.warmup) out.rounds.push(row);
      if (now() - t0 > cfg.maxMs) {
        out.truncated = true;
        break;
      }
    }
    if (cfg.gapMs) performance.mark('tlb end');
    // Span end, one instrumented request at a time: from the response (body read / loadend)
    // until the agent counts the span as ended.
    out.ends = { fetch: [], xhr: [] };
    if (ended) {
      await sleep(cfg.settleMs); // spans of the last rounds (the stock stack's 300 ms end timers) end first
      for (const kind of ['fetch', 'xhr']) {
        for (let e = 0; e < cfg.ends; e++) {
          await sleep(20); // let the previous request's leftovers run first
          const e0 = ended();
          const [, t] = await one[kind].instr(next());
          const tResp = now();
          while (ended() - e0 < 1 && now() < tResp + cfg.endedWaitMs) await tick();
          out.ends[kind].push([t * 1000, (now() - tResp) * 1000, ended() - e0 < 1 ? 1 : 0]);
        }
      }
    }
    out.endedTotal = ended ? ended() : undefined;
    out.agentAtEnd = !!window.Tracelet?.getAgent?.();
  } catch (err) {
    out.errors.push('driver: ' + (err && err.stack ? err.stack : String(err)));
  }
  await N.fetch.call(window, cfg.resultUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(out) });
}

/** The measured page: natives captured first, then the agent as a user would add it, then the driver. */
function requestsPage(q, site) {
  const kind = q.get('kind');
  const cfg = JSON.parse(q.get('cfg'));
  const native = '<script>window.__native = { fetch: window.fetch, XHR: window.XMLHttpRequest, open: XMLHttpRequest.prototype.open, send: XMLHttpRequest.prototype.send };</script>';
  let agent = '';
  const endpoint = site.receiver.url;
  if (kind.startsWith('ref')) {
    // The stock stack started in code (its script-tag start has no handle) with a span counter.
    const start = `window.__ended = 0; OtelRef.init({ serviceName: 'bench', endpoint: ${JSON.stringify(endpoint)}, spanProcessors: [{ onStart() {}, onEnd() { window.__ended++; }, forceFlush: () => Promise.resolve(), shutdown: () => Promise.resolve() }] });`;
    agent = agentTag(new URLSearchParams({ agent: kind, start: 'glue' }), endpoint) + `<script>${start}</script>`;
  } else if (kind === 'tracelet-full') {
    const b = traceletBuilds();
    agent = agentTag(new URLSearchParams({ agent: b.twoStage ? 'tracelet-loader' : 'tracelet', start: 'tag', endpoint }), endpoint);
  } else if (kind === 'tracelet-loader-only') {
    agent = agentTag(new URLSearchParams({ agent: 'tracelet-loader', start: 'tag', endpoint, agentSrc: MISSING_AGENT_SRC }), endpoint);
  } else if (kind === HEADER_ONLY) {
    agent = `<script>(${headerOnly.toString()})();</script>`;
  }
  return `<!doctype html><html><head><meta charset="utf-8"><title>requests</title>${native}${agent}</head><body><p>requests</p><script>(${driver.toString()})(${JSON.stringify(cfg)});</script></body></html>`;
}

/**
 * The floor of any agent that stitches traces: fetch and XHR wrapped to add one fixed
 * `traceparent` and nothing else (no ids drawn, no record, no span). Its "added" is what
 * Chromium itself charges for the header and a wrapper call; the rest of an agent's cost
 * is above it.
 */
const HEADER_ONLY = 'header-only';
/** The agents whose rows get a ratio to the stock stack: tracelet's builds and the header floor. */
const vsStock = (a) => a.startsWith('tracelet') || a === HEADER_ONLY;
function headerOnly() {
  const tp = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
  const f = window.fetch;
  window.fetch = function (input, init) {
    return typeof input === 'string' && init === undefined ? f(input, { headers: { traceparent: tp } }) : f.apply(this, arguments);
  };
  const { send, setRequestHeader } = XMLHttpRequest.prototype;
  XMLHttpRequest.prototype.send = function () {
    setRequestHeader.call(this, 'traceparent', tp);
    return send.apply(this, arguments);
  };
}

/** Traced pages (BENCH_CPU): fewer rounds, each block followed by a pause longer than the stock stack's 300 ms span-end timers. */
const CPU = { rounds: 8, warmup: 2, k: 20, gapMs: 350, seconds: 30 };

/**
 * The renderer main thread's busy time per request in each block's window, from a startup
 * trace: a window runs from the block's mark to the next mark (so it holds the block's pause
 * and the deferred work in it), and busy time is the union of the thread's top-level tasks
 * in it. The marks name the thread: `performance.mark` is traced on the page's main thread.
 */
function busyPerBlock(events, k) {
  const marks = blockMarks(events);
  const { pid, tid } = marks[0];
  // Top-level tasks only (a nested run loop's tasks are inside one), with their thread time.
  const tasks = [];
  for (const e of events.filter((x) => x.pid === pid && x.tid === tid && x.ph === 'X' && x.name === 'ThreadControllerImpl::RunTask').sort((x, y) => x.ts - y.ts)) {
    const last = tasks[tasks.length - 1];
    if (!last || e.ts >= last.ts + last.dur) tasks.push(e);
  }
  const out = new Map();
  let j = 0;
  for (let i = 0; i + 1 < marks.length; i++) {
    const [a, b] = [marks[i].ts, marks[i + 1].ts];
    let busy = 0;
    // A task is counted in the window it started in (the block's mark is set inside one).
    for (; j < tasks.length && tasks[j].ts < b; j++) if (tasks[j].ts >= a) busy += tasks[j].tdur ?? tasks[j].dur;
    out.set(marks[i].name.slice(4), busy / k);
  }
  return out;
}

const diffs = (rounds, kind, field) => rounds.map((r) => r[kind].instr[field] - r[kind].native[field]);
const stat = (xs) => ({ median: median(xs), q1: quantile(xs, 0.25), q3: quantile(xs, 0.75), n: xs.length });
const withIqr = (s, digits = 0) => (Number.isFinite(s.median) ? `${fmt(s.median, digits)} [${fmt(s.q1, digits)}, ${fmt(s.q3, digits)}]` : 'n/a');

/** A seeded PRNG (mulberry32): the intervals come out the same for the same samples. */
function prng(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
/**
 * The rounds resampled in two stages: pages drawn with replacement, then each drawn page's
 * rounds with replacement. A page has a bias of its own (the no-agent floor's page medians
 * spread by about ±100 µs on this machine), which resampling rounds alone would hide.
 */
function resample(rounds, rand) {
  const byPage = new Map();
  for (const r of rounds) (byPage.get(r.page) ?? byPage.set(r.page, []).get(r.page)).push(r);
  const pages = [...byPage.values()];
  const pick = (xs) => xs[Math.floor(rand() * xs.length)];
  return pages.flatMap(() => {
    const rs = pick(pages);
    return rs.map(() => pick(rs));
  });
}
/**
 * 95% bootstrap interval of median(a's added) / median(b's added) for one kind and field:
 * how far the ratio could move on the same machine with other draws of the same rounds.
 */
function ratioInterval(a, b, kind, field, n = 1000) {
  const rand = prng(12345);
  const rs = [];
  for (let i = 0; i < n; i++) rs.push(ratio(median(diffs(resample(a, rand), kind, field)), median(diffs(resample(b, rand), kind, field))));
  const ok = rs.filter(Number.isFinite);
  return ok.length ? [quantile(ok, 0.025), quantile(ok, 0.975)] : [NaN, NaN];
}

export async function run() {
  const builds = traceletBuilds();
  const pending = new Map();
  let site;
  site = await startBenchSite({
    routes: {
      '/req': (req, res) => {
        const q = new URL(req.url ?? '/', 'http://x').searchParams;
        res.writeHead(200, htmlHeaders(true)).end(requestsPage(q, site));
      },
      '/req/result': (_req, res, body) => {
        let r;
        try {
          r = JSON.parse(body.toString('utf8'));
        } catch {
          return void res.writeHead(400).end();
        }
        pending.get(r.id)?.(r);
        res.writeHead(204).end();
      },
    },
  });
  // BENCH_AGENTS=a,b measures only those (an A/B of one agent's builds); the tables then leave out the rest.
  const agents = ['none', 'ref', ...(process.env.BENCH_FULL ? ['ref-nozone'] : []), HEADER_ONLY, ...(builds.loader && AGENT_SRC['tracelet-loader'] ? ['tracelet-loader-only'] : []), 'tracelet-full'].filter(
    (a) => !process.env.BENCH_AGENTS || process.env.BENCH_AGENTS.split(',').includes(a),
  );
  // More pages, fewer rounds each: a page's own bias (its renderer's core, its JIT) shows in its
  // rounds alike, and with two pages it moved the added time by 100 µs from run to run.
  const pages = +(process.env.BENCH_PAGES ?? 4);
  const rounds = Math.ceil(runs(160) / pages);
  const per = Object.fromEntries(agents.map((a) => [a, { rounds: [], ends: { fetch: [], xhr: [] }, pages: [] }]));
  // BENCH_CPU=1 (or BENCH_FULL): traced pages besides, for the main thread's busy time per
  // request, which neither the network nor the other core blurs (about 40 s a page).
  const cpuPages = process.env.BENCH_CPU || process.env.BENCH_FULL ? +(process.env.BENCH_CPU_PAGES ?? 2) : 0;
  const cpu = Object.fromEntries(agents.map((a) => [a, []]));
  // BENCH_PROFILE=1: the traced pages also record V8's sampled CPU profile, read by function.
  const profiled = cpuPages > 0 && !!process.env.BENCH_PROFILE;
  const windows = Object.fromEntries(agents.map((a) => [a, []]));
  let seq = 0;
  /** One page of `kind` in a fresh browser: what its driver reported (and its trace's events, traced). */
  const openPage = async (kind, p, extra, trace) => {
    const id = `${kind}-${p}-${seq++}`;
    const cfg = { id, kind, url: site.page.url + '/api/ping', resultUrl: site.page.url + '/req/result', rounds, warmup: WARMUP, k: K, readyMs: 15_000, endedWaitMs: 1500, settleMs: 400, ends: ENDS, maxMs: 120_000, agentSrc: MISSING_AGENT_SRC, ...extra };
    const report = new Promise((resolve) => pending.set(id, resolve));
    const url = `${site.page.url}/req?${new URLSearchParams({ kind, cfg: JSON.stringify(cfg) })}`;
    let r;
    const tp = Date.now();
    try {
      r = await openWithoutDevTools(url, report, { timeoutMs: PAGE_TIMEOUT_MS, trace });
      if (process.env.BENCH_DEBUG) console.error(`requests: ${kind} page ${p}${trace ? ' (traced)' : ''}: ${Date.now() - tp} ms`);
    } finally {
      pending.delete(id);
    }
    const got = trace ? { ...r.report, events: r.trace } : r;
    if (got.errors.length) throw new Error(`${kind}: the page reported errors:\n${got.errors.join('\n')}`);
    if (!got.isolated) throw new Error(`${kind}: the page was not cross-origin isolated (100 µs timers)`);
    site.receiver.reset();
    return got;
  };
  try {
    await withDeadline('request overhead', 420_000, async () => {
      for (let p = 0; p < pages; p++) {
        for (const kind of p % 2 ? [...agents].reverse() : agents) {
          const r = await openPage(kind, p, {});
          per[kind].rounds.push(...r.rounds.map((x) => ({ ...x, page: p })));
          for (const k of ['fetch', 'xhr']) per[kind].ends[k].push(...r.ends[k]);
          per[kind].pages.push({ rounds: r.rounds.length, truncated: !!r.truncated, agentAfterLoadMs: r.agentAfterLoadMs, agentRequested: r.agentRequested, agentAtEnd: r.agentAtEnd, endedTotal: r.endedTotal });
        }
      }
    });
    await withDeadline('request CPU (traced)', cpuPages * agents.length * (CPU.seconds + 45) * 1000, async () => {
      for (let p = 0; p < cpuPages; p++) {
        for (const kind of p % 2 ? [...agents].reverse() : agents) {
          const r = await openPage(kind, p, { rounds: CPU.rounds, warmup: CPU.warmup, k: CPU.k, gapMs: CPU.gapMs, ends: 0, maxMs: (CPU.seconds - 8) * 1000 }, { categories: 'toplevel,blink.user_timing' + (profiled ? ',' + PROFILE_CATEGORY : ''), seconds: CPU.seconds });
          const busy = busyPerBlock(r.events, CPU.k);
          if (profiled) windows[kind].push(selfTimeByWindow(r.events, join(ROOT, 'dist')));
          // Field 3 of a block: the main thread's busy µs per request in the block's window.
          for (const [i, row] of r.rounds.entries()) {
            for (const k of ['fetch', 'xhr']) for (const mode of ['native', 'instr']) row[k][mode][3] = busy.get(`${CPU.warmup + i} ${k} ${mode}`) ?? NaN;
            if (['fetch', 'xhr'].every((k) => Number.isFinite(row[k].native[3] + row[k].instr[3]))) cpu[kind].push({ ...row, page: p });
          }
        }
      }
    });
  } finally {
    await site.close();
  }

  // A block: [0] sync call µs (median of K), [1] request µs (median of K), [2] block wall time / K.
  // An end sample: [0] request µs, [1] response → span ended µs, [2] still open.
  const m = {};
  for (const a of agents) {
    const rs = per[a].rounds;
    m[a] = { rounds: rs.length };
    for (const kind of ['fetch', 'xhr']) {
      const ends = per[a].ends[kind];
      const x = {
        nativeSync: median(rs.map((r) => r[kind].native[0])),
        instrSync: median(rs.map((r) => r[kind].instr[0])),
        native: median(rs.map((r) => r[kind].native[1])),
        instr: median(rs.map((r) => r[kind].instr[1])),
        sync: stat(diffs(rs, kind, 0)),
        added: stat(diffs(rs, kind, 1)),
        addedMean: stat(diffs(rs, kind, 2)),
        ends: ends.length,
        open: ends.reduce((n, e) => n + e[2], 0),
        endLatency: median(ends.map((e) => e[1])),
      };
      // Request start → span ended, minus the native request of the rounds.
      x.untilEnded = median(ends.map((e) => e[0] + e[1])) - x.native;
      m[a][kind] = x;
    }
  }
  const counts = (a) => m[a].fetch.ends > 0;
  const header = ['agent', 'kind', 'rounds', 'native sync µs', 'sync µs', 'sync added µs [IQR]', 'native µs/req', 'µs/req', 'added µs/req [IQR]', 'added, block means [IQR]', 'span ended, ms after the response', 'added until ended µs'];
  const rows = [header];
  for (const a of agents) {
    for (const kind of ['fetch', 'xhr']) {
      const x = m[a][kind];
      const c = counts(a);
      rows.push([AGENT_LABEL[a], kind === 'xhr' ? 'XHR' : 'fetch', m[a].rounds, fmt(x.nativeSync, 1), fmt(x.instrSync, 1), withIqr(x.sync, 1), fmt(x.native), fmt(x.instr), withIqr(x.added), withIqr(x.addedMean),
        c ? fmt(x.endLatency / 1000, 1) + (x.open ? ` (${x.open} open)` : '') : 'n/a', c ? fmt(x.untilEnded) : 'n/a']);
    }
  }
  const T = 'tracelet-full';
  const rr = (a, k, f) => ratio(f === 'untilEnded' ? m[a][k].untilEnded : m[a][k][f].median, f === 'untilEnded' ? m.ref[k].untilEnded : m.ref[k][f].median);
  /** The ratio's 95% bootstrap interval ("added": field 1, "sync": field 0). */
  const intervals = {};
  const ci = (a, k, f) => (intervals[`${a} ${k} ${f}`] ??= m.ref ? ratioInterval(per[a].rounds, per.ref.rounds, k, f === 'sync' ? 0 : 1) : [NaN, NaN]);
  const withCi = (a, k, f) => `${fmtRatio(rr(a, k, f))} [${ci(a, k, f).map((x) => fmt(x, 2)).join(', ')}]`;
  const ratioRows = [['agent / stock stack [95% interval]', 'fetch sync', 'fetch added', 'fetch until ended', 'XHR sync', 'XHR added', 'XHR until ended']];
  for (const a of agents.filter(vsStock)) {
    ratioRows.push([AGENT_LABEL[a], ...['fetch', 'xhr'].flatMap((k) => [withCi(a, k, 'sync'), withCi(a, k, 'added'), counts(a) ? fmtRatio(rr(a, k, 'untilEnded')) : 'n/a'])]);
  }
  /** Met only when the whole interval is at or under 0.25×; missed when all of it is over. */
  const verdict = (a, k) => {
    const [lo, hi] = ci(a, k, 'added');
    return hi <= 0.25 ? 'met' : lo > 0.25 ? 'missed' : 'not resolved (the interval spans 0.25×)';
  };
  const perPage = (a, k) => [...new Set(per[a].rounds.map((r) => r.page))].map((p) => fmt(median(diffs(per[a].rounds.filter((r) => r.page === p), k, 1)))).join(' / ');
  const fullPages = per[T].pages;
  const notes = [
    `${pages} pages per agent (a fresh Chromium each, no DevTools client, fresh profile; agents alternated), ${rounds} rounds per page after ${WARMUP} warm-up rounds: a round = ${K} native + ${K} instrumented fetches, then the same for XHR, which block goes first alternating by round. The no-agent rows are the floor: both blocks native.`,
    '"sync" = time inside the `fetch()` or `open()+send()` call; "µs/req" = start → body read / loadend; both the median of the block. "added" = instrumented − native block of the same round; median over rounds [25th, 75th percentile]. "block means" = the same from each block\'s wall time / K (GC and export work included).',
    `Span end (${ENDS} requests per kind per page, one at a time, after the rounds, polled between tasks, ≤ 1.5 s): "span ended" = response → the agent counts the span as ended (tracelet: its stats(); the stock stack: a counting span processor); "added until ended" = request start → span ended, minus the native request (median). The stock stack's fetch and XHR instrumentations end spans on a 300 ms timer (until then a span is lost if the page goes away); tracelet's agent ends a span when the request's Resource Timing entry comes, which is why its "until ended" ratio is tiny. The CPU time of deferred end work lands in whichever block runs then, native or instrumented, so "added" does not count it; "block means" count part of it.`,
    `Target (tracelet ≤ 0.25× of the stock stack's added time): fetch ${withCi(T, 'fetch', 'added')} — ${verdict(T, 'fetch')}; XHR ${withCi(T, 'xhr', 'added')} — ${verdict(T, 'xhr')}. Intervals: 1,000 bootstrap draws of pages and of rounds within them (the page-to-page spread of one build shows in "added per page", the machine's own in the no-agent floor's).`,
    ...agents.map((a) => `Added per page, ${AGENT_LABEL[a]}: fetch ${perPage(a, 'fetch')} µs; XHR ${perPage(a, 'xhr')} µs.`),
    builds.twoStage
      ? `The full agent was there ${fullPages.map((x) => fmt(x.agentAfterLoadMs)).join(' / ')} ms after the load event; the "loader alone" pages asked for the 404 agent: ${per['tracelet-loader-only']?.pages.map((x) => x.agentRequested).join(' / ')}.`
      : builds.note + '.',
    `The row "${AGENT_LABEL[HEADER_ONLY]}" is an inline script that wraps fetch and XHR to add one fixed \`traceparent\` and nothing else: the floor of any agent that propagates. Its ratio is the part of the 0.25× target that Chromium's own handling of the header takes.`,
    'Stock stack with Zone: Zone.js patches Promise, timers and XHR events for the whole page, so its native blocks pay part of that too; "added" is what its fetch/XHR instrumentation adds on top.',
  ];
  // The main thread's busy time (BENCH_CPU): what the page's thread spent, waiting left out.
  const cpuAdded = (a, k) => stat(diffs(cpu[a], k, 3));
  const cpuRatio = (a, k) => `${fmtRatio(ratio(cpuAdded(a, k).median, cpuAdded('ref', k).median))} [${(intervals[`${a} ${k} busy`] ??= ratioInterval(cpu[a], cpu.ref, k, 3)).map((x) => fmt(x, 2)).join(', ')}]`;
  /** The mean of the rounds' added busy time: exports and GC, which fall in a few windows only, count in it (the median leaves them out). */
  const cpuMean = (a, k) => diffs(cpu[a], k, 3).reduce((n, x) => n + x, 0) / cpu[a].length;
  const cpuRows = [['agent', 'kind', 'rounds', 'native busy µs/req', 'instrumented busy µs/req', 'added busy µs/req [IQR]', 'vs stock stack [95% interval]', 'added busy, mean of rounds', 'mean vs stock']];
  for (const a of cpuPages ? agents : []) {
    for (const k of ['fetch', 'xhr']) {
      const rs = cpu[a];
      const vsRef = vsStock(a) && cpu.ref?.length;
      cpuRows.push([AGENT_LABEL[a], k === 'xhr' ? 'XHR' : 'fetch', rs.length, fmt(median(rs.map((r) => r[k].native[3]))), fmt(median(rs.map((r) => r[k].instr[3]))), withIqr(cpuAdded(a, k)), vsRef ? cpuRatio(a, k) : '', fmt(cpuMean(a, k)), vsRef ? fmtRatio(ratio(cpuMean(a, k), cpuMean('ref', k))) : '']);
    }
  }
  const cpuNote = `Main-thread busy time (BENCH_CPU=1 or BENCH_FULL=1): ${cpuPages} more pages per agent, each in a browser recording a startup trace (toplevel, blink.user_timing; still no DevTools client), ${CPU.rounds} rounds after ${CPU.warmup} warm-up, blocks of ${CPU.k} requests, a ${CPU.gapMs} ms pause after each block. A block's window runs from its mark to the next block's, so its deferred work (span ends, the stock stack's 300 ms timers, exports that fall due) counts in it; busy = the thread (CPU) time of the renderer main thread's top-level tasks that start in the window, per request. "added" = instrumented − native window of the same round; its median leaves out the few windows an export or a GC falls in, its mean over rounds counts them (and is noisier). Unlike the wall time above, waiting on the network and on the other core does not count.`;
  // Where the added time goes (BENCH_PROFILE): the functions with the most added self time.
  const TOP = 12;
  const profRows = [['agent', 'kind', 'function (source:line)', 'added self µs/req']];
  for (const a of profiled ? agents.filter((x) => x !== 'none') : []) {
    for (const k of ['fetch', 'xhr']) {
      const frames = addedByFrame(windows[a], k, { warmup: CPU.warmup, k: CPU.k });
      const total = frames.reduce((n, f) => n + f.us, 0);
      profRows.push([AGENT_LABEL[a], k === 'xhr' ? 'XHR' : 'fetch', 'all sampled', fmt(total)]);
      for (const f of frames.slice(0, TOP)) profRows.push(['', '', f.frame, fmt(f.us, 1)]);
    }
  }
  const profNote = `CPU profile (BENCH_PROFILE=1, with BENCH_CPU): the traced pages above also record V8's sampling profiler (${PROFILE_CATEGORY}); each sample weighs the time since the one before, its frame mapped to the source through the build's source map (dist/*.map). Per function: instrumented − native window self time per request, averaged over rounds; the ${TOP} largest. Builtins and Blink work called from a function without a frame of their own (\`new URL\`, \`Request\`) count in the caller's self time, or under their own name (\`fetch\`).`;
  const cpuText = cpuPages ? ['', table(cpuRows), cpuNote, ...(profiled ? ['', table(profRows), profNote] : [])] : [];
  const text = ['== 3. Request overhead (Chromium without DevTools, loopback) ==', table(rows), '', table(ratioRows), ...notes, ...cpuText].join('\n');
  const md = ['### 3. Request overhead (Chromium without DevTools, loopback)', '', mdTable(rows), '', mdTable(ratioRows), '', ...notes.map((n) => '- ' + n), ...(cpuPages ? ['', mdTable(cpuRows), '', '- ' + cpuNote] : []), ...(profiled ? ['', mdTable(profRows), '', '- ' + profNote] : [])].join('\n');
  const h = (k, label) => {
    const t = m[T][k];
    const s = m.ref[k];
    return [
      [`${label}: sync call added`, `${fmt(t.sync.median, 1)} µs`, `${fmt(s.sync.median, 1)} µs`, fmtRatio(rr(T, k, 'sync')), ''],
      [`${label}: added per request`, `${fmt(t.added.median)} µs`, `${fmt(s.added.median)} µs`, withCi(T, k, 'added'), `≤ 0.25×: ${verdict(T, k)}`],
      [`${label}: until the span ended`, `${fmt(t.endLatency / 1000, 1)} ms after the response`, `${fmt(s.endLatency / 1000, 1)} ms`, fmtRatio(rr(T, k, 'untilEnded')), ''],
    ];
  };
  const headline = [...h('fetch', 'fetch'), ...h('xhr', 'XHR')];
  for (const [a, label] of [['tracelet-loader-only', 'loader alone'], [HEADER_ONLY, 'the header alone (floor)']]) {
    if (m[a]) headline.push([`fetch / XHR added, ${label}`, `${fmt(m[a].fetch.added.median)} / ${fmt(m[a].xhr.added.median)} µs`, '', `${fmtRatio(rr(a, 'fetch', 'added'))} / ${fmtRatio(rr(a, 'xhr', 'added'))}`, '']);
  }
  if (cpuPages && cpu[T]?.length && cpu.ref?.length) {
    headline.push(['fetch / XHR main-thread busy time added', `${fmt(cpuAdded(T, 'fetch').median)} / ${fmt(cpuAdded(T, 'xhr').median)} µs`, `${fmt(cpuAdded('ref', 'fetch').median)} / ${fmt(cpuAdded('ref', 'xhr').median)} µs`, `${cpuRatio(T, 'fetch')} / ${cpuRatio(T, 'xhr')}`, '']);
  }
  return { name: 'requests', text, md, headline, data: { cpu, medians: m, pages: Object.fromEntries(agents.map((a) => [a, per[a].pages])), rounds: Object.fromEntries(agents.map((a) => [a, per[a].rounds])), ends: Object.fromEntries(agents.map((a) => [a, per[a].ends])) } };
}

await main(import.meta.url, run);
