import { setTimeout as sleep } from 'node:timers/promises';
import { listen, readBody, sendJson } from '../lib/http.mjs';
import { createExporter } from './otlp.mjs';
import { KIND, STATUS, parseTraceparent, startSpan } from './tracing.mjs';

const PRODUCTS = [
  { id: 'socks', name: 'Span socks', price: 9 },
  { id: 'mug', name: 'Trace mug', price: 14 },
  { id: 'cap', name: 'Collector cap', price: 19 },
  { id: 'hoodie', name: 'Waterfall hoodie', price: 49 },
];
const SLOW_MS = 800;

function parseJson(body) {
  try {
    return body.length ? JSON.parse(body.toString('utf8')) : undefined;
  } catch {
    return undefined;
  }
}
const cart = [];

/** The shop's routes: `(span, body) => [status, json]`. The span is the request's SERVER span. */
const ROUTES = {
  'GET /products': () => [200, PRODUCTS],
  'POST /cart': (span, body) => {
    const product = PRODUCTS.find((p) => p.id === body?.productId);
    if (!product) return [400, { error: 'unknown product' }];
    if (cart.length < 100) cart.push(product);
    span.attributes['shop.cart.items'] = cart.length;
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
    const message = 'coupon service unavailable: connection refused';
    span.addEvent('exception', { 'exception.type': 'CouponServiceError', 'exception.message': message });
    span.status = { code: STATUS.ERROR, message };
    return [500, { error: message }];
  },
  'POST /checkout': async (span, _body, child) => {
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
 * The origin behind the edge: a node:http service, "shop-origin", that continues the
 * incoming traceparent and exports its own spans over OTLP/HTTP JSON.
 */
export async function startOrigin({ port, endpoint }) {
  const exporter = createExporter({
    endpoint,
    resource: { 'service.name': 'shop-origin', 'service.version': '1.0.0', 'telemetry.sdk.language': 'nodejs', 'process.runtime.name': 'node' },
    scope: { name: 'tracelet-demo-origin', version: '1.0.0' },
  });

  const server = await listen(async (req, res) => {
    const { pathname } = new URL(req.url ?? '/', 'http://127.0.0.1');
    const route = `${req.method} ${pathname}`;
    const known = Object.hasOwn(ROUTES, route);
    const span = startSpan(known ? route : String(req.method), {
      kind: KIND.SERVER,
      parent: parseTraceparent(req.headers.traceparent),
      attributes: { 'http.request.method': req.method, 'url.path': pathname, 'server.address': '127.0.0.1', 'server.port': server.port, ...(known && { 'http.route': pathname }) },
    }, exporter.export);
    const child = async (name, attributes, work) => {
      const s = startSpan(name, { parent: span, attributes }, exporter.export);
      try {
        return await work();
      } finally {
        s.end();
      }
    };
    try {
      const { body } = await readBody(req, 64 * 1024);
      const [status, payload] = known ? await ROUTES[route](span, parseJson(body), child) : [404, { error: 'not found' }];
      span.attributes['http.response.status_code'] = status;
      if (status >= 500) {
        span.attributes['error.type'] = String(status);
        span.status = { ...span.status, code: STATUS.ERROR };
      }
      sendJson(res, status, payload);
    } catch (err) {
      span.status = { code: STATUS.ERROR, message: err.message };
      throw err; // listen() answers 500
    } finally {
      span.end();
    }
  }, port, 'origin');

  return {
    ...server,
    async close() {
      await exporter.flush(); // the receiver closes after us
      await server.close();
    },
  };
}
