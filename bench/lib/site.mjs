// The bench's web site: one dynamic page (/page?agent=…) that loads an agent the way a
// user would (a script tag), a same-origin API for request overhead, a few static assets
// for the page-load test, and the strict OTLP receiver from test/support (which answers
// CORS for the page origin like the Collector).
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildBundles, SITE } from './build.mjs';
import { traceletBuilds } from './builds.mjs';
import { startBenchReceiver } from './receiver.mjs';
import { loadSupport, ROOT } from './support.mjs';

const builds = traceletBuilds();
const served = (f) => (f ? '/' + f : undefined);

/** Where each agent's script-tag build is served (undefined: not built). */
export const AGENT_SRC = {
  // @opentelemetry/api alone (from the zoneless reference bundle, never started): the no-op floor.
  api: '/bundles/otel-web-nozone.min.js',
  // The glue below needs an agent at once: the eager bundle (today's dist/tracelet.min.js).
  tracelet: served(builds.bundle ?? builds.loader),
  'tracelet-bundle': served(builds.bundle),
  // Issue #12's loader, which adds dist/tracelet.agent.min.js when the page is idle.
  'tracelet-loader': served(builds.loader),
  'tracelet-zone': '/dist/tracelet.zone.min.js',
  // The eager bundle rebuilt without the minifier by bench/profile.mjs.
  'tracelet-unminified': '/bundles/tracelet-unminified.js',
  ref: '/bundles/otel-web-zone.min.js',
  'ref-nozone': '/bundles/otel-web-nozone.min.js',
};

/** data-agent-src for "the agent never arrives": a path the site answers with 404. */
export const MISSING_AGENT_SRC = '/dist/no-such-agent.min.js';

export const AGENT_LABEL = {
  none: 'no agent',
  api: 'OTel API, no SDK (no-op)',
  tracelet: builds.twoStage ? 'tracelet bundle' : 'tracelet',
  'tracelet-bundle': 'tracelet bundle (eager)',
  'tracelet-loader': 'tracelet loader (default tag)',
  'tracelet-loader-only': 'tracelet loader alone (agent 404)',
  'header-only': 'the traceparent header alone (floor)',
  'tracelet-full': builds.twoStage ? 'tracelet loader + agent' : 'tracelet (bundle; loader not built)',
  'tracelet-async': 'tracelet (async tag)',
  'tracelet-zone': 'tracelet + Zone',
  ref: 'OTel web + Zone',
  'ref-async': 'OTel web + Zone (async tag)',
  'ref-nozone': 'OTel web, no Zone',
};

/*
 * Runs in the page right after a synchronous agent tag (start=glue): starts the agent with
 * the bench's options and exposes one shape for both, window.bench = { tracer, flush(),
 * ended() } — ended() counts spans that have ended (tracelet: its stats; the reference: a
 * counting span processor next to the BatchSpanProcessor).
 */
const GLUE = `
(() => {
  const q = new URLSearchParams(location.search);
  const kind = q.get('agent');
  const opts = JSON.parse(q.get('opts') || '{}');
  if (kind === 'none') {
    window.bench = { tracer: undefined, flush: () => Promise.resolve(), ended: () => 0 };
  } else if (kind === 'api') {
    window.bench = { tracer: OtelRef.trace.getTracer('api-noop'), flush: () => Promise.resolve(), ended: () => 0 };
  } else if (kind.startsWith('tracelet')) {
    const wire = (a) => {
      const ended = () => { const s = a.stats(); let n = s.exported + s.queued; for (const k in s.dropped) n += s.dropped[k]; return n; };
      window.bench = { tracer: a.tracer, flush: () => a.flush(), ended, stats: () => a.stats() };
    };
    const a = Tracelet.init(opts);
    // A loader (issue #12) hands the agent over later, through onReady.
    if (a && a.tracer) wire(a); else Tracelet.onReady(wire);
  } else {
    let n = 0;
    const counter = { onStart() {}, onEnd() { n++; }, forceFlush: () => Promise.resolve(), shutdown: () => Promise.resolve() };
    const a = OtelRef.init({ ...opts, spanProcessors: [counter] });
    window.bench = { tracer: a.tracer, flush: () => a.flush(), ended: () => n };
  }
  // The unload scenario (issue 3): n spans, then the caller navigates away at once.
  window.makeSpans = (n, prefix) => {
    for (let i = 0; i < n; i++) {
      const s = window.bench.tracer.startSpan(prefix + i);
      s.setAttribute('i', i);
      s.setAttribute('page', location.pathname);
      s.end();
    }
  };
})();`;

/** Static content for the page-load test: a stylesheet, an app script, some images. */
const APP_JS = `
document.addEventListener('DOMContentLoaded', () => {
  const ul = document.createElement('ul');
  for (let i = 0; i < 200; i++) { const li = document.createElement('li'); li.textContent = 'item ' + i; ul.appendChild(li); }
  document.body.appendChild(ul);
});`;
const APP_CSS = 'body { font: 16px/1.4 sans-serif; margin: 2em; } h1 { font-size: 40px; } img { width: 32px; height: 32px; }';
const PIXEL_SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"><rect width="1" height="1"/></svg>';

/*
 * First script of a page with probe=1, before any agent: records Long Animation Frames (with
 * their script attribution) and long tasks from the start, for the page-load part.
 */
const PROBE = `
window.__perf = { loaf: [], longtask: [], ready: undefined };
try {
  new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__perf.loaf.push({ start: e.startTime, duration: e.duration, blocking: e.blockingDuration,
    scripts: e.scripts.map((s) => ({ url: s.sourceURL, duration: s.duration, invoker: s.invoker, type: s.invokerType, start: s.startTime })) }); })
    .observe({ type: 'long-animation-frame', buffered: true });
} catch {}
try {
  new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__perf.longtask.push({ start: e.startTime, duration: e.duration }); }).observe({ type: 'longtask', buffered: true });
} catch {}`;
const READY = `window.Tracelet && Tracelet.onReady && Tracelet.onReady(() => { window.__perf.ready = performance.now(); });`;

/** Headers of a bench page; `coi`: cross-origin isolated (5 µs performance.now()). */
export function htmlHeaders(coi) {
  const h = { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' };
  if (coi) Object.assign(h, { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' });
  return h;
}

/**
 * The agent's `<script>` tag for a page: `agent` (a key of AGENT_SRC, `-async` for an async
 * tag), `start=tag` (data-endpoint/data-service-name: the agent starts itself) or glue,
 * `agentSrc` (data-agent-src for the loader).
 */
export function agentTag(q, receiverUrl) {
  const agent = q.get('agent') ?? 'none';
  const start = q.get('start') ?? 'glue';
  const base = agent.replace(/-async$/, '');
  const async = agent.endsWith('-async');
  const src = AGENT_SRC[base];
  if (agent !== 'none' && !src) throw new Error(`agent ${agent}: not built or unknown`);
  if (!src) return '';
  const endpoint = q.get('endpoint') ?? receiverUrl;
  const data = start === 'tag' ? ` data-endpoint="${endpoint}" data-service-name="bench"` : '';
  const agentSrc = q.get('agentSrc') ? ` data-agent-src="${q.get('agentSrc')}"` : '';
  return `<script src="${src}"${async ? ' async' : ''}${data}${agentSrc}></script>`;
}

function pageHtml(q, receiverUrl) {
  const agent = q.get('agent') ?? 'none';
  const start = q.get('start') ?? 'glue';
  const assets = q.get('assets') === '1';
  const probe = q.get('probe') === '1';
  let tag = agentTag(q, receiverUrl);
  if (probe) tag = `<script>${PROBE}</script>${tag}${agent.startsWith('tracelet') ? `<script>${READY}</script>` : ''}`;
  const glue = start === 'glue' ? `<script>${GLUE}</script>` : '';
  const head = assets ? '<link rel="stylesheet" href="/assets/app.css"><script src="/assets/app.js"></script>' : '';
  const body = assets
    ? '<h1>Bench page</h1><p>' + 'Some text. '.repeat(50) + '</p>' + Array.from({ length: 6 }, (_, i) => `<img src="/assets/pixel.svg?i=${i}" alt="">`).join('')
    : '<p>bench</p>';
  return `<!doctype html><html><head><meta charset="utf-8"><title>bench</title>${tag}${glue}${head}</head><body>${body}</body></html>`;
}

/**
 * Starts the site: a page origin serving `/page`, `/api/ping`, the assets, the bench's
 * bundles and the repo's dist/ under /dist/, with the receiver's /v1/traces also mounted
 * there (a same-origin endpoint); and the receiver on its own origin (cross-origin), which
 * answers CORS for the page origin like the Collector. Both listen on 127.0.0.1 only.
 * `/page?agent=…&start=glue|tag&opts=<json>&assets=1&coi=1&probe=1&agentSrc=…`: coi=1 makes the
 * page cross-origin isolated, which gives performance.now() 5 µs resolution instead of 100 µs.
 * `routes` adds handlers on the page origin (path → handler).
 */
export async function startBenchSite({ routes = {} } = {}) {
  await buildBundles();
  await mkdir(join(SITE, 'assets'), { recursive: true });
  await writeFile(join(SITE, 'assets/app.js'), APP_JS);
  await writeFile(join(SITE, 'assets/app.css'), APP_CSS);
  await writeFile(join(SITE, 'assets/pixel.svg'), PIXEL_SVG);
  await writeFile(join(SITE, 'blank.html'), '<!doctype html><meta charset="utf-8"><title>blank</title><p>blank</p>');
  const { serveStatic, startHttpServer } = await loadSupport();
  const receiver = await startBenchReceiver();
  const dist = serveStatic(ROOT);
  const files = serveStatic(SITE, {
    '/page': (req, res) => {
      const q = new URL(req.url ?? '/', 'http://x').searchParams;
      res.writeHead(200, htmlHeaders(q.get('coi') === '1')).end(pageHtml(q, receiver.url));
    },
    '/api/ping': (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end('{"ok":true}');
    },
    '/v1/traces': receiver.handle,
    ...routes,
  });
  const page = await startHttpServer((req, res, body) => (req.url?.startsWith('/dist/') ? dist(req, res, body) : files(req, res, body)));
  receiver.allowOrigin(page.url);
  return {
    page,
    receiver,
    sameOriginEndpoint: page.url + '/v1/traces',
    async close() {
      await Promise.all([page.close(), receiver.close()]);
    },
  };
}

/** The URL of a bench page. */
export function pageUrl(site, params, path = '/page') {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, typeof v === 'object' ? JSON.stringify(v) : String(v));
  return `${site.page.url}${path}?${q}`;
}
