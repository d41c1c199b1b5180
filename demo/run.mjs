// `npm run demo`: builds dist/ if needed, then starts the shop's static files, the receiver
// with its trace view, the origin (OpenTelemetry Node SDK) and the Deno edge in front of it,
// all on 127.0.0.1. The browser opens the edge. Ctrl-C stops all of it.
import { join } from 'node:path';
import { ensureBuilt } from './lib/build.mjs';
import { exited, stopChildren } from './lib/children.mjs';
import { DemoError, listen } from './lib/http.mjs';
import { choosePorts } from './lib/ports.mjs';
import { startEdge } from './edge/spawn.mjs';
import { startOrigin } from './origin/spawn.mjs';
import { receiverHandler } from './receiver/server.mjs';
import { TraceStore } from './receiver/store.mjs';
import { startShop } from './shop/server.mjs';

const ROOT = join(import.meta.dirname, '..');
const log = (message) => console.log(`[demo] ${message}`);
const servers = []; // closed last, in reverse order, so the receiver outlives every sender
let stopping;

function stop(code, message) {
  stopping ??= (async () => {
    if (message) (code ? console.error : log)(message);
    await stopChildren(); // the edge flushes its spans on SIGTERM: the receiver is still up
    for (const s of servers.reverse()) await s.close();
    process.exit(code);
  })();
  return stopping;
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => stop(0, `${signal}: stopping the demo...`));
// `kill <npm pid>` reaches only npm's `sh -c`, which dies without passing the signal on:
// being re-parented means whoever started us is gone, so stop as if signalled.
const parent = process.ppid;
setInterval(() => process.ppid !== parent && stop(0, 'the process that started the demo exited: stopping...'), 300).unref();

async function main() {
  const { ports } = choosePorts();
  await ensureBuilt(ROOT, log);
  if (stopping) return;

  const urls = {};
  // The static files (script, style, the agent's files): served to the browser by the edge.
  const shop = await startShop({ port: ports.shop, dist: join(ROOT, 'dist') });
  servers.push(shop);
  const store = new TraceStore({ maxTraces: Number(process.env.DEMO_MAX_TRACES) || 200 });
  // The page's origin is the edge's: known once the edge listens, asked for per request.
  const pageOrigins = () => (urls.edge ? [urls.edge] : []);
  const receiver = await listen(receiverHandler({ store, allowedOrigins: pageOrigins, viewDir: join(import.meta.dirname, 'receiver', 'view'), log }), ports.receiver, 'receiver');
  servers.push(receiver);
  const endpoint = `${receiver.url}/v1/traces`;
  const view = `${receiver.url}/`;
  const origin = await startOrigin({ root: ROOT, port: ports.origin, endpoint, view });
  exited(origin.child).then(() => stop(1, 'the origin stopped unexpectedly; stopping the demo'));
  if (stopping) return;
  const edge = await startEdge({ root: ROOT, port: ports.edge, originUrl: origin.url, assetsUrl: shop.url, endpoint });
  exited(edge.child).then(() => stop(1, 'the Deno edge stopped unexpectedly; stopping the demo'));
  if (stopping) return;

  Object.assign(urls, { shop: `${edge.url}/`, view, edge: edge.url, origin: origin.url, endpoint });
  const rows = [
    ['shop (open this: served by the edge)', urls.shop],
    ['trace view', urls.view],
    ['edge API (Deno + tracelet/deno)', `${edge.url}/api/products`],
    ['origin (node + OpenTelemetry SDK)', `${origin.url}/products`],
    ['static files (behind the edge)', `${shop.url}/tracelet.min.js`],
    ['OTLP/HTTP receiver', endpoint],
  ];
  console.log(
    [
      '',
      'tracelet demo: everything listens on 127.0.0.1 and nothing leaves this machine.',
      '',
      ...rows.map(([what, url]) => `  ${what.padEnd(38)}${url}`),
      '',
      'Open the shop: add to cart, ask for a recommendation (slow), apply the coupon (fails),',
      'check out, then open the trace view. Ctrl-C stops everything.',
      '',
    ].join('\n'),
  );
  // For scripts and tests: one line of JSON once everything answers.
  console.log(`DEMO_READY ${JSON.stringify({ shop: urls.shop, view: urls.view, edge: urls.edge, origin: urls.origin, receiver: endpoint })}`);
}

main().catch((err) => stop(1, err instanceof DemoError ? `demo: ${err.message}` : err.stack));
