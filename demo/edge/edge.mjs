/*
 * The shop's API at the edge: a Deno server wrapped by tracelet/deno, in front of the
 * origin. Run by demo/run.mjs with: deno run --allow-net=127.0.0.1 demo/edge/edge.mjs '<json>'
 * (In an app of your own the import is the same: `tracelet/deno` from npm.)
 */
import { flush, instrument } from 'tracelet/deno';

const { port, originUrl, endpoint, shopOrigin, exitWithStdin } = JSON.parse(Deno.args[0] ?? '{}');
const API = '/api';
const cors = { 'access-control-allow-origin': shopOrigin, vary: 'Origin', 'timing-allow-origin': shopOrigin };

/** /api/<path> is the origin's /<path>; the global fetch is traced: a CLIENT span, and a traceparent naming it. */
async function api(request) {
  const url = new URL(request.url);
  const json = (status, body) => new Response(JSON.stringify(body), { status, headers: { ...cors, 'content-type': 'application/json' } });
  if (!url.pathname.startsWith(API + '/')) return json(404, { error: 'not found' });
  try {
    const upstream = await fetch(originUrl + url.pathname.slice(API.length) + url.search, {
      method: request.method,
      headers: { 'content-type': request.headers.get('content-type') ?? 'application/json' },
      body: request.method === 'GET' || request.method === 'HEAD' ? undefined : await request.arrayBuffer(),
    });
    const headers = { ...cors, 'content-type': upstream.headers.get('content-type') ?? 'application/json' };
    return new Response(upstream.body, { status: upstream.status, headers });
  } catch (err) {
    return json(502, { error: `origin unreachable: ${err.message}` });
  }
}

const traced = instrument(api, {
  serviceName: 'shop-edge',
  serviceVersion: '1.0.0',
  environment: 'demo',
  endpoint,
  // Sooner than the 5 s default, so the trace view fills while you watch.
  scheduledDelayMillis: 1000,
  route: (request) => new URL(request.url).pathname,
});

/*
 * traceparent is a custom header, so the shop's browser preflights each API URL. The
 * preflights are answered here, outside instrument(), so they do not fill the trace list.
 */
function preflight() {
  return new Response(null, {
    status: 204,
    headers: { ...cors, 'access-control-allow-methods': 'GET, POST', 'access-control-allow-headers': 'content-type, traceparent, tracestate', 'access-control-max-age': '600' },
  });
}

Deno.serve(
  { hostname: '127.0.0.1', port, onListen: (addr) => console.log(`EDGE_LISTENING ${JSON.stringify({ port: addr.port })}`) },
  (request, info) => (request.method === 'OPTIONS' ? preflight() : traced(request, info)),
);

if (exitWithStdin) {
  // run.mjs holds our stdin: when it ends (the runner died, even by SIGKILL), flush and go.
  (async () => {
    for await (const _chunk of Deno.stdin.readable);
    await flush();
    Deno.exit(0);
  })();
}
