// `npm run demo`: builds dist/ if needed, then starts the shop, the Deno edge, the origin
// and the receiver with its trace view, all on 127.0.0.1. Ctrl-C stops all of it.
import { join } from 'node:path';
import { ensureBuilt } from './lib/build.mjs';
import { exited, stopChildren } from './lib/children.mjs';
import { DemoError, listen } from './lib/http.mjs';
import { choosePorts } from './lib/ports.mjs';
import { startEdge } from './edge/spawn.mjs';
import { startOrigin } from './origin/server.mjs';
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
  const shop = await startShop({ port: ports.shop, dist: join(ROOT, 'dist'), urls: () => urls });
  servers.push(shop);
  const store = new TraceStore({ maxTraces: Number(process.env.DEMO_MAX_TRACES) || 200 });
  const receiver = await listen(receiverHandler({ store, allowedOrigins: () => [shop.url], viewDir: join(import.meta.dirname, 'receiver', 'view'), log }), ports.receiver, 'receiver');
  servers.push(receiver);
  const endpoint = `${receiver.url}/v1/traces`;
  const origin = await startOrigin({ port: ports.origin, endpoint });
  servers.push(origin);
  const edge = await startEdge({ root: ROOT, port: ports.edge, originUrl: origin.url, endpoint, shopOrigin: shop.url });
  exited(edge.child).then(() => stop(1, 'the Deno edge stopped unexpectedly; stopping the demo'));
  if (stopping) return;

  Object.assign(urls, { shop: `${shop.url}/`, view: `${receiver.url}/`, edge: edge.url, origin: origin.url, endpoint });
  const rows = [
    ['shop (page + tracelet.min.js)', urls.shop],
    ['trace view', urls.view],
    ['edge API (Deno + tracelet/deno)', `${edge.url}/api/products`],
    ['origin (node, shop-origin)', `${origin.url}/products`],
    ['OTLP/HTTP receiver', endpoint],
  ];
  console.log(
    [
      '',
      'tracelet demo: everything listens on 127.0.0.1 and nothing leaves this machine.',
      '',
      ...rows.map(([what, url]) => `  ${what.padEnd(34)}${url}`),
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
