/*
 * The origin behind the edge: "shop-origin", a node:http service traced by the official
 * OpenTelemetry Node SDK (instrumentation.mjs, loaded first with --import). It renders the
 * shop's page and answers its API. Run by demo/origin/spawn.mjs as:
 *   node --import ./instrumentation.mjs server.mjs '<json config>'
 * The SDK continues the traceparent the edge sends; the code below only names the route
 * and adds the spans and events an app adds with @opentelemetry/api.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { INVALID_SPAN_CONTEXT, SpanStatusCode, context, trace } from '@opentelemetry/api';
import { RPCType, getRPCMetadata } from '@opentelemetry/core';
import { fillTemplate, listen, readBody, sendJson } from '../lib/http.mjs';

const { port, view, receiver, exitWithStdin } = JSON.parse(process.argv[2] ?? '{}');
const tracer = trace.getTracer('shop-origin', '1.0.0');
const PAGE = readFileSync(join(import.meta.dirname, 'page.html'), 'utf8');
const PAGES = new Set(['/', '/index.html', '/cart']);

const PRODUCTS = [
  { id: 'socks', name: 'Span socks', price: 9 },
  { id: 'mug', name: 'Trace mug', price: 14 },
  { id: 'cap', name: 'Collector cap', price: 19 },
  { id: 'hoodie', name: 'Waterfall hoodie', price: 49 },
];
const SLOW_MS = 800;
const cart = [];

function parseJson(body) {
  try {
    return body.length ? JSON.parse(body.toString('utf8')) : undefined;
  } catch {
    return undefined;
  }
}

/** A child span of the request's SERVER span around `work`, made with the plain API. */
const child = (name, attributes, work) =>
  tracer.startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await work();
    } finally {
      span.end();
    }
  });

/** The shop's API: `(span, body) => [status, json]`; `span` is the SDK's SERVER span (or a no-op one). */
const ROUTES = {
  'GET /products': () => [200, PRODUCTS],
  'POST /cart': (span, body) => {
    const product = PRODUCTS.find((p) => p.id === body?.productId);
    if (!product) return [400, { error: 'unknown product' }];
    if (cart.length < 100) cart.push(product);
    span.setAttribute('shop.cart.items', cart.length);
    return [200, { items: cart.length }];
  },
  // The slow one: a recommendation "model" that misses its cache.
  'GET /recommendations': async (span) => {
    span.addEvent('cache miss', { 'cache.key': 'recommendations:anonymous' });
    await sleep(SLOW_MS);
    return [200, PRODUCTS.slice(1, 3)];
  },
  // The failing one: the coupon service is down, every time.
  'POST /coupon': (span) => {
    const err = Object.assign(new Error('coupon service unavailable: connection refused'), { name: 'CouponServiceError' });
    span.recordException(err);
    span.setStatus({ code: SpanStatusCode.ERROR, message: err.message });
    return [500, { error: err.message }];
  },
  'POST /checkout': async (span) => {
    if (cart.length === 0) return [409, { error: 'the cart is empty' }];
    const total = cart.reduce((sum, p) => sum + p.price, 0);
    await child('reserve stock', { 'shop.cart.items': cart.length }, () => sleep(40));
    await child('charge card', { 'shop.order.total': total }, () => sleep(70));
    const orderId = `ord-${Date.now().toString(36)}`;
    span.addEvent('order placed', { 'shop.order.id': orderId, 'shop.order.total': total });
    cart.length = 0;
    return [200, { orderId, total }];
  },
};

/**
 * The shop page. Its CSP is strict on purpose: scripts only from this origin (the agent's
 * files included), no inline code, and connect-src the page's own origin and the receiver.
 * `?sample_rate=0` (a number 0..1) sets the agent's data-sample-rate, to see what an
 * unsampled page view leaves behind: nothing, anywhere.
 */
function page(res, search) {
  const rate = new URLSearchParams(search).get('sample_rate');
  const csp = [
    "default-src 'self'",
    `connect-src 'self' ${new URL(receiver).origin}`,
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  const html = fillTemplate(PAGE, { ENDPOINT: receiver, VIEW: view, SAMPLE_RATE: /^(0(\.\d+)?|1)$/.test(rate ?? '') ? rate : '1' });
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-security-policy': csp }).end(html);
}

const server = await listen(async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const route = `${req.method} ${url.pathname}`;
  const isPage = req.method === 'GET' && PAGES.has(url.pathname);
  const known = isPage || Object.hasOwn(ROUTES, route);
  // Name the route as a web framework's instrumentation would: the SDK's HTTP span takes it
  // as http.route and becomes "GET /products" instead of "GET".
  const rpc = getRPCMetadata(context.active());
  if (known && rpc?.type === RPCType.HTTP) rpc.route = url.pathname;
  if (isPage) return page(res, url.search);
  const span = trace.getActiveSpan() ?? trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
  const { body } = await readBody(req, 64 * 1024);
  const [status, payload] = known ? await ROUTES[route](span, parseJson(body)) : [404, { error: 'not found' }];
  sendJson(res, status, payload);
}, port, 'origin');

console.log(`ORIGIN_LISTENING ${JSON.stringify({ port: server.port })}`);

if (exitWithStdin) {
  // run.mjs holds our stdin: when it ends (the runner died, even by SIGKILL), go.
  process.stdin.on('end', () => process.kill(process.pid, 'SIGTERM')).resume();
}
