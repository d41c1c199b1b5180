import { gunzipSync } from 'node:zlib';
import { filesIn, readBody, sendFile, sendJson, sendText } from '../lib/http.mjs';
import { readOtlpJson } from './otlp.mjs';

const TRACES_PATH = '/v1/traces';
const MAX_BODY_BYTES = 8 * 1024 * 1024;
// The view is plain files from this origin; nothing inline, nothing from elsewhere.
const VIEW_CSP = "default-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/**
 * The OTLP/HTTP JSON receiver and the trace view, on one origin. CORS on /v1/traces
 * behaves like the OpenTelemetry Collector's `cors.allowed_origins`: an allowed Origin is
 * echoed with credentials allowed (sendBeacon sends credentials), others get nothing.
 */
export function receiverHandler({ store, allowedOrigins, viewDir, log }) {
  const files = filesIn(viewDir);
  files.set('/', files.get('/index.html'));

  function cors(req) {
    const origin = req.headers.origin;
    if (!origin || !allowedOrigins().includes(origin)) return { vary: 'Origin' };
    return { vary: 'Origin', 'access-control-allow-origin': origin, 'access-control-allow-credentials': 'true' };
  }

  function preflight(req, res) {
    const headers = cors(req);
    const method = String(req.headers['access-control-request-method'] ?? '').toUpperCase();
    if (headers['access-control-allow-origin'] && method === 'POST') {
      headers['access-control-allow-methods'] = 'POST';
      const requested = req.headers['access-control-request-headers'];
      if (requested) headers['access-control-allow-headers'] = requested;
      headers['access-control-max-age'] = '7200';
    }
    res.writeHead(204, headers).end();
  }

  /** 4xx bodies are a google.rpc.Status, as OTLP/HTTP asks; code 3 is INVALID_ARGUMENT. */
  async function exportTraces(req, res) {
    const headers = cors(req);
    const reject = (status, message) => {
      log(`rejected an export from ${req.headers.origin ?? 'a server'} (${status}): ${message.split('\n')[0]}`);
      sendJson(res, status, { code: 3, message }, headers);
    };
    const { body, tooLarge } = await readBody(req, MAX_BODY_BYTES);
    if (tooLarge) return reject(413, `body over ${MAX_BODY_BYTES} bytes`);
    // sendBeacon can only send a string as text/plain, so that is JSON too.
    const type = String(req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (type !== 'application/json' && type !== 'text/plain') {
      return reject(415, `this demo receiver takes OTLP/JSON (application/json), got "${type}"; set your exporter to http/json`);
    }
    let parsed;
    try {
      const encoding = String(req.headers['content-encoding'] ?? 'identity').toLowerCase();
      if (encoding !== 'identity' && encoding !== 'gzip') return reject(415, `unsupported content-encoding "${encoding}"`);
      parsed = JSON.parse((encoding === 'gzip' ? gunzipSync(body, { maxOutputLength: MAX_BODY_BYTES }) : body).toString('utf8'));
    } catch (err) {
      return reject(400, `not JSON: ${err.message}`);
    }
    const { spans, errors } = readOtlpJson(parsed);
    if (errors.length) return reject(400, errors.join('\n'));
    store.add(spans);
    sendJson(res, 200, { partialSuccess: {} }, headers);
  }

  return async (req, res) => {
    const { pathname } = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (pathname === TRACES_PATH) {
      if (req.method === 'OPTIONS') return preflight(req, res);
      if (req.method === 'POST') return exportTraces(req, res);
      return sendText(res, 405, 'POST OTLP/JSON here', { allow: 'POST, OPTIONS' });
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendText(res, 405, 'method not allowed');
    if (pathname === '/api/traces') return sendJson(res, 200, store.list());
    const one = /^\/api\/traces\/([0-9a-f]{32})$/.exec(pathname);
    if (one) {
      const trace = store.get(one[1]);
      return trace ? sendJson(res, 200, trace) : sendJson(res, 404, { message: 'no such trace (it may have been evicted)' });
    }
    const file = files.get(pathname);
    if (file) return sendFile(res, file, { 'content-security-policy': VIEW_CSP });
    sendText(res, 404, 'not found');
  };
}
