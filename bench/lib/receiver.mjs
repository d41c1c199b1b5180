// The bench's OTLP/HTTP JSON receiver. It accepts what the OpenTelemetry Collector accepts
// (proto3 JSON, so 64-bit integers as numbers too: the stock exporter sends `intValue` as a
// JSON number, which test/support/otlpReceiver.ts rejects on purpose) and answers CORS the
// way the Collector does (echoes an allowed Origin with credentials allowed, answers
// preflights). Every body is also checked with the strict validator from test/support, and
// the violations are counted, not enforced. Loopback only.
import { gunzipSync } from 'node:zlib';
import { loadSupport } from './support.mjs';

export async function startBenchReceiver() {
  const { startHttpServer, validateOtlpJson } = await loadSupport();
  const allowed = new Set();
  const state = { requests: [], names: [], spans: 0, errors: [] };

  const cors = (req) => {
    const origin = req.headers.origin;
    if (!origin || !allowed.has(origin)) return { vary: 'Origin' };
    return { vary: 'Origin', 'access-control-allow-origin': origin, 'access-control-allow-credentials': 'true' };
  };

  /** Handles /v1/traces; mounted on its own origin and, for same-origin endpoints, on the page origin. */
  const handle = (req, res, body) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== '/v1/traces') return void res.writeHead(404, cors(req)).end();
    if (req.method === 'OPTIONS') {
      const h = cors(req);
      if (h['access-control-allow-origin']) {
        h['access-control-allow-methods'] = 'POST';
        if (req.headers['access-control-request-headers']) h['access-control-allow-headers'] = req.headers['access-control-request-headers'];
        h['access-control-max-age'] = '7200';
      }
      state.requests.push({ method: 'OPTIONS', bytes: 0, spans: 0, origin: req.headers.origin });
      return void res.writeHead(204, h).end();
    }
    if (req.method !== 'POST') return void res.writeHead(405, cors(req)).end();
    if (/protobuf/.test(String(req.headers['content-type']))) {
      // Deno's built-in exporter defaults to OTLP/protobuf: counted in bytes, not decoded.
      state.requests.push({ method: 'POST', bytes: body.length, spans: 0, protobuf: true, origin: req.headers.origin });
      return void res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    }
    let parsed;
    try {
      const text = (req.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body).toString('utf8');
      parsed = JSON.parse(text);
    } catch (err) {
      state.errors.push(String(err));
      return void res.writeHead(400, { ...cors(req), 'content-type': 'application/json' }).end('{"code":3}');
    }
    let n = 0;
    for (const rs of parsed.resourceSpans ?? []) {
      for (const ss of rs.scopeSpans ?? []) {
        for (const s of ss.spans ?? []) {
          n++;
          state.names.push(s.name);
        }
      }
    }
    state.spans += n;
    state.requests.push({
      method: 'POST',
      bytes: body.length,
      spans: n,
      origin: req.headers.origin,
      contentType: req.headers['content-type'],
      strictViolations: validateOtlpJson(parsed).length,
      body: parsed,
    });
    res.writeHead(200, { ...cors(req), 'content-type': 'application/json' }).end('{"partialSuccess":{}}');
  };

  const server = await startHttpServer(handle);
  return {
    url: server.url + '/v1/traces',
    origin: server.url,
    handle,
    state,
    allowOrigin: (o) => allowed.add(o),
    /** Spans whose name starts with `prefix`: total received and distinct names. */
    count(prefix) {
      let total = 0;
      const distinct = new Set();
      for (const name of state.names) {
        if (name.startsWith(prefix)) {
          total++;
          distinct.add(name);
        }
      }
      return { total, distinct: distinct.size };
    },
    reset() {
      state.requests.length = 0;
      state.names.length = 0;
      state.spans = 0;
      state.errors.length = 0;
    },
    close: () => server.close(),
  };
}
