import { resolve } from 'node:path';
import { launchEngine, type EngineBrowser, type EngineName } from '../support/engines';
import { startSite, type Site } from '../support/site';
import type { LoopbackServer } from '../support/http';
import { newEchoState, sameOriginRoutes, startEchoServer, VALID_TRACEPARENT, type EchoSeen, type EchoState } from './host-echo';

/*
 * The harness of the fetch and XHR differential tests: runs every case of a fixture script
 * in a page without the agent, then in the same page (same URL, so the same Referer) with
 * the script-tag agent, against echo servers that log what they received.
 */

const FIXTURES = resolve(import.meta.dirname, 'fixtures');

export type Mode = 'native' | 'agent';
export interface CaseResult {
  name: string;
  trace: string;
  result: unknown;
}
export interface Run {
  results: CaseResult[];
  /** agent.stats() after the final flush (agent run only). */
  stats?: { exported: number; queued: number; dropped: Record<string, number> };
  consoleErrors: string[];
  pageErrors: string[];
}

export interface Differential {
  engine: EngineName;
  browser: EngineBrowser;
  site: Site;
  echo: LoopbackServer;
  third: LoopbackServer;
  state: EchoState;
  runs: Record<Mode, Run>;
  pageUrl: string;
  close(): Promise<void>;
}

/** The traceparent the user-* cases set themselves. */
export const USER_TP = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

/**
 * Console messages compare without their source location: Chromium attributes a failed
 * request's message to the script on top of the stack, which with the agent is the agent's
 * wrapper. Blob URLs are random.
 */
const normalize = (s: string) => s.replace(/ \([^()]*:\d+\)$/, '').replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, 'UUID');

/** Runs the battery in `opts.engine` (Chromium by default). */
export async function runDifferential(casesScript: string, opts: { settleMs: number; engine?: EngineName }): Promise<Differential> {
  const engine = opts.engine ?? 'chromium';
  const state = newEchoState();
  const echo = await startEchoServer(state, 'echo');
  const third = await startEchoServer(state, 'third');
  const ref: { site?: Site } = {};
  const page = () => {
    const agent =
      state.run === 'agent'
        ? `<script src="/dist/tracelet.min.js" data-endpoint="${ref.site!.receiver.url}" data-service-name="host-diff" data-propagate-to="${echo.url}"></script>`
        : '';
    return `<!doctype html><html><head><meta charset="utf-8"><title>differential</title>${agent}
<script src="/host-harness.js"></script><script src="/${casesScript}"></script></head><body>differential</body></html>`;
  };
  const site = (ref.site = await startSite(FIXTURES, {
    '/host-diff.html': (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(page());
    },
    ...sameOriginRoutes(state),
  }));
  const browser = await launchEngine(engine);
  const pageUrl = `${site.page.url}/host-diff.html?echo=${encodeURIComponent(echo.url)}&third=${encodeURIComponent(third.url)}`;
  const runs = {} as Record<Mode, Run>;
  for (const mode of ['native', 'agent'] as const) {
    state.run = mode;
    const p = await browser.newPage();
    // A cookie on 127.0.0.1 (cookies ignore the port): the credentials cases show whether it was sent.
    await p.goto(`${site.page.url}/blank.html`);
    await p.evaluate(() => void (document.cookie = 'sid=cookie-1; path=/; SameSite=Lax'));
    await p.goto(pageUrl);
    const results = (await p.evaluate(() => (window as any).HOST.runAll())) as CaseResult[];
    let stats: Run['stats'];
    if (mode === 'agent') {
      // Let the spans end, then export.
      await new Promise((r) => setTimeout(r, opts.settleMs));
      stats = await p.evaluate(async () => {
        const agent = (window as any).Tracelet.getAgent();
        // flush() leaves a batch waiting out a retry for its turn: wait for that too.
        for (let i = 0; i < 40; i++) {
          await agent.flush();
          if (!agent.stats().queued) break;
          await new Promise((r) => setTimeout(r, 100));
        }
        return agent.stats();
      });
    }
    const problems = [...p.problems];
    await p.close();
    runs[mode] = {
      results,
      stats,
      consoleErrors: problems.filter((e) => e.startsWith('console.error')).map(normalize).sort(),
      // Firefox 140 reports a blob: URL it refused as a page error naming the (random) blob.
      pageErrors: problems.filter((e) => !e.startsWith('console.error')).map(normalize),
    };
  }
  const d: Differential = {
    engine,
    browser,
    site,
    echo,
    third,
    state,
    runs,
    pageUrl,
    async close() {
      await browser.close();
      await Promise.all([site.close(), echo.close(), third.close()]);
    },
  };
  // HOST_DEBUG=/path: a dump of both runs, for reading a failure.
  if (process.env.HOST_DEBUG) {
    const { writeFileSync } = await import('node:fs');
    writeFileSync(process.env.HOST_DEBUG, JSON.stringify({ runs: d.runs, state: d.state, requests: site.receiver.requests, spans: site.receiver.spans }, null, 1));
  }
  return d;
}

/**
 * How many progress events a streamed XHR response fires depends on how the chunks arrive
 * (Firefox coalesces them by timing), not on the agent: a run of them compares as one.
 */
const sameStream = (key: string, v: unknown) =>
  key === 'events' && Array.isArray(v) ? v.join('|').replace(/(readystatechange:3\|progress\|)+/g, 'readystatechange:3|progress|') : v;

/** Cases whose result (what the call returned, threw, fired) differs between the runs. */
export function outcomeDiffs(d: Differential): { name: string; native: unknown; agent: unknown }[] {
  const native = new Map(d.runs.native.results.map((r) => [r.name, r.result]));
  const diffs: { name: string; native: unknown; agent: unknown }[] = [];
  for (const r of d.runs.agent.results) {
    if (JSON.stringify(r.result, sameStream) !== JSON.stringify(native.get(r.name), sameStream)) diffs.push({ name: r.name, native: native.get(r.name), agent: r.result });
  }
  return diffs;
}

const byCase = (state: EchoState, run: string) => {
  const m = new Map<string, EchoSeen[]>();
  for (const s of state.seen) if (s.run === run) m.set(s.c, [...(m.get(s.c) ?? []), s]);
  return m;
};

/** Cases where the servers saw different requests (distinct origin, method, path). */
export function requestDiffs(d: Differential): string[] {
  const n = byCase(d.state, 'native');
  const a = byCase(d.state, 'agent');
  // Distinct requests: Chromium itself retries a request whose reused connection dies (/drop).
  const shape = (list: EchoSeen[] | undefined) => [...new Set((list ?? []).map((s) => `${s.origin} ${s.method} ${s.path}`))].sort();
  const diffs: string[] = [];
  for (const c of new Set([...n.keys(), ...a.keys()])) {
    if (JSON.stringify(shape(n.get(c))) !== JSON.stringify(shape(a.get(c)))) diffs.push(`${c}: native ${shape(n.get(c))} / agent ${shape(a.get(c))}`);
  }
  return diffs;
}

/**
 * What the trace headers the servers saw should be: none without the agent (unless the
 * page set one); with it, one valid traceparent where the case expects the agent's ('agent'),
 * none ('none', and always at the third party), and exactly the page's own ('user').
 * `exempt` cases reach the third party through a redirect (see the report).
 */
export function traceHeaderProblems(d: Differential, exempt: string[] = []): string[] {
  const n = byCase(d.state, 'native');
  const a = byCase(d.state, 'agent');
  const problems: string[] = [];
  for (const { name, trace } of d.runs.agent.results) {
    for (const s of n.get(name) ?? []) {
      if ((trace === 'agent' || trace === 'none') && s.rawTrace.length) problems.push(`native ${name}: ${JSON.stringify(s.rawTrace)}`);
    }
    for (const s of a.get(name) ?? []) {
      const tps = s.rawTrace.filter((l) => l.startsWith('traceparent'));
      if (trace === 'agent' && s.origin !== 'third') {
        if (tps.length !== 1 || !VALID_TRACEPARENT.test(s.traceparent ?? '')) problems.push(`agent ${name}: expected one valid traceparent, got ${JSON.stringify(s.rawTrace)}`);
      }
      if (trace === 'none' || (s.origin === 'third' && !exempt.includes(name))) {
        if (s.rawTrace.length) problems.push(`agent ${name} (${s.origin}): expected no trace headers, got ${JSON.stringify(s.rawTrace)}`);
      }
      if (trace === 'user') {
        const userSent = (n.get(name) ?? []).find((x) => x.path === s.path);
        // Exactly what the page sent without the agent: its traceparent (and tracestate), once.
        if (JSON.stringify(s.rawTrace) !== JSON.stringify(userSent?.rawTrace)) {
          problems.push(`agent ${name}: the page's trace headers changed: ${JSON.stringify(userSent?.rawTrace)} -> ${JSON.stringify(s.rawTrace)}`);
        }
      }
    }
  }
  // The third party never saw a preflight.
  problems.push(...d.state.preflights.filter((p) => p.origin === 'third' && !exempt.includes(p.c)).map((p) => `preflight to third party: ${p.c}`));
  return problems;
}

/** Agent-made traceparents the servers received: each names a CLIENT span. */
export function propagatedTraceparents(d: Differential): EchoSeen[] {
  return d.state.seen.filter((s) => s.run === 'agent' && s.traceparent && s.traceparent !== USER_TP && VALID_TRACEPARENT.test(s.traceparent));
}
