/*
 * The outbound fetch shapes of the edge differential test, as an ES module both workerd and
 * Deno load: `runCases(f, E, T)` calls `f` (the runtime's native fetch, or the global fetch
 * tracelet wrapped, inside a traced request) in each shape and describes the outcome as
 * plain data. E and T are echo servers on 127.0.0.1 that log what they receive.
 */
export const EDGE_CASES_SOURCE = String.raw`
const USER_TP = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

function errInfo(e) {
  if (e === null || (typeof e !== 'object' && typeof e !== 'function')) return { thrown: typeof e, value: String(e) };
  return { tag: Object.prototype.toString.call(e), ctor: e.constructor && e.constructor.name, name: e.name, message: e.message };
}

async function resInfo(res) {
  if (!(res instanceof Response)) return { notAResponse: Object.prototype.toString.call(res) };
  const info = {
    status: res.status,
    statusText: res.statusText,
    ok: res.ok,
    redirected: res.redirected,
    url: res.url,
    type: res.type,
    headers: [...res.headers].filter(([k]) => k !== 'date' && k !== 'keep-alive'),
    bodyUsedAtStart: res.bodyUsed,
  };
  try {
    info.text = await res.text();
  } catch (e) {
    info.textError = errInfo(e);
  }
  return info;
}

async function settle(thunk) {
  let p;
  try {
    p = thunk();
  } catch (e) {
    return { kind: 'threw', error: errInfo(e) };
  }
  if (!(p instanceof Promise)) return { kind: 'not-a-promise', value: typeof p };
  try {
    return { kind: 'resolved', res: await resInfo(await p) };
  } catch (e) {
    return { kind: 'rejected', error: errInfo(e) };
  }
}

export async function runCases(f, E, T) {
  const u = (base, path, c) => base + path + (path.includes('?') ? '&' : '?') + 'c=' + encodeURIComponent(c);
  const cases = [];
  const add = (name, fn) => cases.push([name, fn]);

  add('string-url', (c) => settle(() => f(u(E, '/echo', c))));
  add('url-object', (c) => settle(() => f(new URL(u(E, '/echo', c)))));
  add('third-origin', (c) => settle(() => f(u(T, '/echo', c))));
  add('object-with-tostring', (c) => settle(() => f({ toString: () => u(E, '/echo', c) })));
  add('relative-url', (c) => settle(() => f('/echo?c=' + c)));
  add('url-with-credentials', (c) => settle(() => f(u(E.replace('://', '://user:pw@'), '/echo', c))));
  add('url-object-subclass', (c) => settle(() => f(new (class extends URL { toString() { return u(E, '/sub', c); } })(u(E, '/echo', c)))));
  add('invalid-url', () => settle(() => f('http://[bad')));
  add('no-arguments', () => settle(() => f()));
  add('undefined-input', () => settle(() => f(undefined)));
  add('symbol-input', () => settle(() => f(Symbol('s'))));
  add('request-get', (c) => settle(() => f(new Request(u(E, '/echo', c)))));
  add('request-with-body', async (c) => {
    const req = new Request(u(E, '/echo', c), { method: 'POST', body: 'hello body' });
    const out = await settle(() => f(req));
    return { out, bodyUsed: req.bodyUsed, headers: [...req.headers] };
  });
  add('request-own-headers', async (c) => {
    const req = new Request(u(E, '/echo', c), { headers: { 'x-mine': '1' } });
    const out = await settle(() => f(req));
    return { out, headers: [...req.headers] };
  });
  add('request-plus-init-override', async (c) => {
    const req = new Request(u(E, '/echo', c), { method: 'POST', body: 'original', headers: { 'x-a': 'req' } });
    const out = await settle(() => f(req, { method: 'PUT', body: 'override', headers: { 'x-b': 'init' } }));
    return { out, bodyUsed: req.bodyUsed };
  });
  add('request-plus-init-no-headers', async (c) => {
    const req = new Request(u(E, '/echo', c), { method: 'POST', body: 'kept', headers: { 'x-a': 'req' } });
    return { out: await settle(() => f(req, { method: 'PUT' })), bodyUsed: req.bodyUsed };
  });
  add('request-cloned', async (c) => {
    const req = new Request(u(E, '/echo', c), { method: 'POST', body: 'clone me' });
    const copy = req.clone();
    const first = await settle(() => f(copy));
    const second = await settle(() => f(req));
    return { first, second, used: [req.bodyUsed, copy.bodyUsed] };
  });
  add('request-already-used', async (c) => {
    const req = new Request(u(E, '/echo', c), { method: 'POST', body: 'used' });
    await req.text();
    return { out: await settle(() => f(req)) };
  });
  add('init-is-a-request', (c) => settle(() => f(u(E, '/echo', c), new Request('http://x/', { method: 'POST', body: 'from a request', headers: { 'x-r': '1' } }))));
  add('headers-instance', async (c) => {
    const headers = new Headers({ 'x-h': 'instance' });
    const out = await settle(() => f(u(E, '/echo', c), { headers }));
    return { out, after: [...headers] };
  });
  add('headers-array-pairs', (c) => settle(() => f(u(E, '/echo', c), { headers: [['x-h', 'one'], ['x-h', 'two']] })));
  add('headers-plain-object', async (c) => {
    const init = { headers: { 'x-h': 'plain' } };
    const before = init.headers;
    const out = await settle(() => f(u(E, '/echo', c), init));
    return { out, same: init.headers === before, keys: Object.keys(init) };
  });
  add('init-frozen', (c) => settle(() => f(u(E, '/echo', c), Object.freeze({ method: 'POST', body: 'frozen', headers: Object.freeze({ 'x-f': '1' }) }))));
  add('init-getters', async (c) => {
    const reads = {};
    const init = {};
    for (const [k, v] of Object.entries({ method: 'POST', body: 'getter', headers: { 'x-g': '1' } })) {
      Object.defineProperty(init, k, { enumerable: true, get: () => ((reads[k] = (reads[k] || 0) + 1), v) });
    }
    return { out: await settle(() => f(u(E, '/echo', c), init)), reads };
  });
  add('init-inherited-props', (c) => settle(() => f(u(E, '/echo', c), Object.create({ method: 'POST', body: 'inherited' }))));
  add('init-null', (c) => settle(() => f(u(E, '/echo', c), null)));
  add('init-string', (c) => settle(() => f(u(E, '/echo', c), 'not an init')));
  add('user-traceparent', (c) => settle(() => f(u(E, '/echo', c), { headers: { traceparent: USER_TP, tracestate: 'user=1' } })));
  add('user-tracestate-only', (c) => settle(() => f(u(E, '/echo', c), { headers: { tracestate: 'user=1' } })));
  add('bad-header-name', (c) => settle(() => f(u(E, '/echo', c), { headers: { 'bad header': 'x' } })));
  add('bad-header-value', (c) => settle(() => f(u(E, '/echo', c), { headers: { 'x-bad': 'a\nb' } })));
  add('invalid-method', (c) => settle(() => f(u(E, '/echo', c), { method: 'BAD METHOD' })));
  add('method-number', (c) => settle(() => f(u(E, '/echo', c), { method: 5 })));
  add('method-lowercase', (c) => settle(() => f(u(E, '/echo', c), { method: 'post', body: 'x' })));
  add('get-with-body', (c) => settle(() => f(u(E, '/echo', c), { body: 'no' })));
  add('post-text', (c) => settle(() => f(u(E, '/echo', c), { method: 'POST', body: 'plain text' })));
  add('post-bytes', (c) => settle(() => f(u(E, '/echo', c), { method: 'POST', body: new Uint8Array([104, 105]) })));
  add('post-urlsearchparams', (c) => settle(() => f(u(E, '/echo', c), { method: 'POST', body: new URLSearchParams({ a: '1' }) })));
  add('stream-body', async (c) => {
    const body = new ReadableStream({ start(ctl) { ctl.enqueue(new TextEncoder().encode('streamed')); ctl.close(); } });
    return { out: await settle(() => f(u(E, '/echo', c), { method: 'POST', body, duplex: 'half' })), locked: body.locked };
  });
  add('abort-before', async (c) => {
    const ctl = new AbortController();
    const reason = new Error('my reason');
    ctl.abort(reason);
    try {
      await f(u(E, '/echo', c), { signal: ctl.signal });
      return { resolved: true };
    } catch (e) {
      return { same: e === reason, error: errInfo(e) };
    }
  });
  add('abort-during', async (c) => {
    const ctl = new AbortController();
    const p = settle(() => f(u(E, '/slow?ms=1500', c), { signal: ctl.signal }));
    setTimeout(() => ctl.abort(), 300);
    return { out: await p };
  });
  add('network-error', (c) => settle(() => f(u(E, '/drop', c))));
  add('connection-refused', () => settle(() => f('http://127.0.0.1:9/refused')));
  add('redirect-follow', (c) => settle(() => f(u(E, '/redirect?to=' + encodeURIComponent(u(E, '/echo', c)), c))));
  add('redirect-manual', (c) => settle(() => f(u(E, '/redirect?to=' + encodeURIComponent(u(E, '/echo', c)), c), { redirect: 'manual' })));
  add('redirect-error', (c) => settle(() => f(u(E, '/redirect?to=' + encodeURIComponent(u(E, '/echo', c)), c), { redirect: 'error' })));
  add('status-404', (c) => settle(() => f(u(E, '/status?status=404&text=Nope', c))));
  add('status-500', (c) => settle(() => f(u(E, '/status?status=500', c))));
  add('status-204', (c) => settle(() => f(u(E, '/status?status=204', c))));
  add('response-stream', async (c) => {
    const res = await f(u(E, '/stream?chunks=5&every=20', c));
    return { status: res.status, text: await res.text() };
  });
  add('response-cancel', async (c) => {
    const res = await f(u(E, '/stream?chunks=60&every=25', c));
    const reader = res.body.getReader();
    await reader.read();
    await reader.cancel();
    await new Promise((r) => setTimeout(r, 300));
    return { status: res.status };
  });
  add('concurrent-10', async (c) => ({ all: await Promise.all(Array.from({ length: 10 }, (_, i) => settle(() => f(u(E, '/echo?i=' + i, c))))) }));
  add('call-other-this', (c) => settle(() => f.call({}, u(E, '/echo', c))));
  add('function-shape', async () => ({ name: f.name, length: f.length, hasPrototype: 'prototype' in f }));

  const out = [];
  for (const [name, fn] of cases) {
    let result;
    try {
      result = await fn(name);
    } catch (e) {
      result = { harnessError: errInfo(e) };
    }
    out.push({ name, result });
  }
  return out;
}
`;
