/*
 * The shop's front door: a Deno server wrapped by tracelet/deno, in front of the origin.
 * Run by demo/edge/spawn.mjs with: deno run --allow-net=127.0.0.1 demo/edge/edge.mjs '<json>'
 * (In an app of your own the import is the same: `tracelet/deno` from npm.)
 *
 * - pages (/, /cart) and /api/* are traced: a SERVER span per request and a CLIENT span for
 *   the call to the origin. A page's response carries `Server-Timing: traceparent;desc=…`
 *   naming the SERVER span, so the browser agent's documentLoad becomes its child: page load,
 *   edge and origin in one trace.
 * - static files (the shop's script and style, the agent's files) come from the static file
 *   server untraced, as a CDN serves them from its cache: they would only fill the trace list.
 */
import { flush, instrument } from 'tracelet/deno';

const { port, originUrl, assetsUrl, endpoint, exitWithStdin } = JSON.parse(Deno.args[0] ?? '{}');
const API = '/api';
const PAGES = new Set(['/', '/index.html', '/cart']);
// What the browser needs back from upstream; the rest (Date, Connection…) is the edge's own.
const PASSED_HEADERS = ['content-type', 'content-security-policy', 'cache-control'];

function pass(upstream) {
  const headers = new Headers();
  for (const name of PASSED_HEADERS) {
    const value = upstream.headers.get(name);
    if (value !== null) headers.set(name, value);
  }
  return new Response(upstream.body, { status: upstream.status, headers });
}

/** Forwards `request` to `target`; the global fetch is traced inside instrument(): a CLIENT span and a traceparent naming it. */
async function forward(request, target) {
  try {
    const upstream = await fetch(target, {
      method: request.method,
      headers: { 'content-type': request.headers.get('content-type') ?? 'application/json' },
      body: request.method === 'GET' || request.method === 'HEAD' ? undefined : await request.arrayBuffer(),
    });
    return pass(upstream);
  } catch (err) {
    return Response.json({ error: `origin unreachable: ${err.message}` }, { status: 502 });
  }
}

/** Pages and the API: /api/<path> is the origin's /<path>, a page is the origin's page. */
function app(request) {
  const url = new URL(request.url);
  if (url.pathname.startsWith(API + '/')) return forward(request, originUrl + url.pathname.slice(API.length) + url.search);
  if (PAGES.has(url.pathname)) return forward(request, originUrl + url.pathname + url.search);
  return Response.json({ error: 'not found' }, { status: 404 });
}

const traced = instrument(app, {
  serviceName: 'shop-edge',
  serviceVersion: '1.0.0',
  environment: 'demo',
  endpoint,
  // Sooner than the 5 s default, so the trace view fills while you watch.
  scheduledDelayMillis: 1000,
  route: (request) => new URL(request.url).pathname,
});

/** A static file, outside instrument(): no span, and its fetch is not traced either. */
function asset(request) {
  const url = new URL(request.url);
  if (request.method !== 'GET' && request.method !== 'HEAD') return new Response('method not allowed', { status: 405 });
  return fetch(assetsUrl + url.pathname, { method: request.method }).then(pass, () => new Response('static files unreachable', { status: 502 }));
}

const isAsset = (request) => {
  const { pathname } = new URL(request.url);
  return !pathname.startsWith(API + '/') && !PAGES.has(pathname);
};

Deno.serve(
  { hostname: '127.0.0.1', port, onListen: (addr) => console.log(`EDGE_LISTENING ${JSON.stringify({ port: addr.port })}`) },
  (request, info) => (isAsset(request) ? asset(request) : traced(request, info)),
);

if (exitWithStdin) {
  // run.mjs holds our stdin: when it ends (the runner died, even by SIGKILL), flush and go.
  (async () => {
    for await (const _chunk of Deno.stdin.readable);
    await flush();
    Deno.exit(0);
  })();
}
