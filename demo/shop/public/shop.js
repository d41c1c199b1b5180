// The shop: plain DOM code. tracelet (loaded by the script tag before this module) traces
// every fetch and XHR below; `traced` adds one span per user action as the trace's root.

const API = document.body.dataset.api;
const SPAN_ERROR = 2; // SpanStatusCode.ERROR of @opentelemetry/api
const $ = (id) => document.getElementById(id);
let cartItems = [];

/**
 * Runs `work` (which starts requests) inside a span named `name`. The agent is zoneless:
 * a span is active only while code runs synchronously, which is when fetch/XHR start, so
 * their spans become its children. Without the agent the work simply runs.
 */
function traced(name, attributes, work) {
  const tracer = window.Tracelet?.getAgent?.()?.tracer;
  if (!tracer) return work();
  return tracer.startActiveSpan(name, { attributes }, (span) => {
    const fail = (err) => {
      span.setStatus({ code: SPAN_ERROR, message: String(err?.message ?? err) });
      span.end();
      throw err;
    };
    let pending;
    try {
      pending = work();
    } catch (err) {
      fail(err);
    }
    return pending.then((value) => (span.end(), value), fail);
  });
}

async function viaFetch(method, path, body) {
  const res = await fetch(API + path, {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${res.status}: ${json.error ?? res.statusText}`);
  return json;
}

/** The same call with XMLHttpRequest, which tracelet traces as well. */
function viaXhr(method, path, body) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, API + path);
    xhr.setRequestHeader('content-type', 'application/json');
    xhr.responseType = 'json';
    xhr.onload = () => (xhr.status < 400 ? resolve(xhr.response) : reject(new Error(`${xhr.status}: ${xhr.response?.error ?? ''}`)));
    xhr.onerror = () => reject(new Error('network error'));
    xhr.send(JSON.stringify(body));
  });
}

function say(text, kind = 'info') {
  const m = $('message');
  m.textContent = text;
  m.dataset.kind = kind;
}

function item(text, className) {
  const li = document.createElement('li');
  li.textContent = text;
  if (className) li.className = className;
  return li;
}

function renderProducts(products) {
  $('products').replaceChildren(
    ...products.map((p) => {
      const li = item('', 'product');
      const label = document.createElement('span');
      label.textContent = `${p.name} · ${p.price} €`;
      const add = document.createElement('button');
      add.type = 'button';
      add.textContent = 'Add to cart';
      add.dataset.product = p.id;
      add.addEventListener('click', () => addToCart(p));
      li.append(label, add);
      return li;
    }),
  );
}

function renderCart() {
  $('cart-count').textContent = String(cartItems.length);
  $('cart-items').replaceChildren(...(cartItems.length ? cartItems.map((p) => item(`${p.name} · ${p.price} €`)) : [item('Your cart is empty.', 'muted')]));
}

function addToCart(product) {
  traced('add to cart', { 'shop.product.id': product.id }, () => viaXhr('POST', '/cart', { productId: product.id }))
    .then(({ items }) => {
      cartItems.push(product);
      renderCart();
      say(`Added ${product.name} (${items} in the cart).`);
    })
    .catch((err) => say(`Could not add ${product.name}: ${err.message}`, 'error'));
}

function recommend() {
  say('Asking the recommendation service (it is slow)…');
  traced('recommend', {}, () => viaFetch('GET', '/recommendations'))
    .then((products) => {
      $('recommendations').replaceChildren(...products.map((p) => item(`You might like: ${p.name}`)));
      say('Recommendations are in.');
    })
    .catch((err) => say(`Recommendations failed: ${err.message}`, 'error'));
}

function applyCoupon() {
  const code = $('coupon-code').value;
  traced('apply coupon', { 'shop.coupon.code': code }, () => viaFetch('POST', '/coupon', { code }))
    .then(() => say(`Coupon ${code} applied.`))
    .catch((err) => say(`Coupon failed: ${err.message}`, 'error'));
}

function checkout() {
  traced('checkout', { 'shop.cart.items': cartItems.length }, () => viaFetch('POST', '/checkout'))
    .then(({ orderId, total }) => {
      cartItems = [];
      renderCart();
      location.hash = `order-${orderId}`; // a hash route: reload-safe confirmation
      say(`Thank you! ${total} € charged.`);
    })
    .catch((err) => say(`Checkout failed: ${err.message}`, 'error'));
}

/** Client-side routes: /, /cart (history.pushState) and #order-<id> (hash). */
function route() {
  const cart = location.pathname === '/cart';
  $('page-products').hidden = cart;
  $('page-cart').hidden = !cart;
  const order = /^#order-(.+)$/.exec(location.hash);
  $('order').hidden = !order;
  $('order').textContent = order ? `Order ${order[1]} is placed.` : '';
}

function navigate(path) {
  if (path !== location.pathname) history.pushState({}, '', path);
  route();
}

document.addEventListener('click', (e) => {
  const link = e.target.closest('a[data-route]');
  if (!link) return;
  e.preventDefault();
  navigate(link.dataset.route);
});
addEventListener('popstate', route);
addEventListener('hashchange', route);
$('recommend').addEventListener('click', recommend);
$('coupon').addEventListener('click', applyCoupon);
$('checkout').addEventListener('click', checkout);

route();
renderCart();
traced('load products', {}, () => viaFetch('GET', '/products'))
  .then(renderProducts)
  .catch((err) => say(`Could not load the products: ${err.message}`, 'error'));
