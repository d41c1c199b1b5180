import type { IncomingMessage, ServerResponse } from 'node:http';
import { startHttpServer, type Handler, type LoopbackServer } from '../support/http';

/*
 * The servers the "never break the host" differential tests call: they answer what they
 * received (method, path, headers, body) so a page with the agent and a page without it
 * can be compared byte for byte, except for the trace headers, which are logged apart.
 */

/** Headers the agent may add where propagation applies; never echoed, logged instead. */
export const TRACE_HEADERS = ['traceparent', 'tracestate'];

export interface EchoSeen {
  /** Which run the request belongs to (set by the test before it loads a page). */
  run: string;
  /** The `c` query parameter: the case that sent it. */
  c: string;
  method: string;
  path: string;
  origin: string;
  traceparent?: string;
  tracestate?: string;
  /** Raw header lines as received: shows a duplicated traceparent as two lines or one joined value. */
  rawTrace: string[];
}

export interface StreamClose {
  run: string;
  c: string;
  /** The client went away before the server finished the stream. */
  abortedByClient: boolean;
  afterMs: number;
}

export interface EchoState {
  run: string;
  seen: EchoSeen[];
  preflights: EchoSeen[];
  streams: StreamClose[];
}

const q = (req: IncomingMessage) => new URL(req.url ?? '/', 'http://x').searchParams;

function record(state: EchoState, name: string, req: IncomingMessage): EchoSeen {
  const h = req.headers;
  const raw: string[] = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    if (TRACE_HEADERS.includes(req.rawHeaders[i].toLowerCase())) raw.push(`${req.rawHeaders[i].toLowerCase()}: ${req.rawHeaders[i + 1]}`);
  }
  return {
    run: state.run,
    c: q(req).get('c') ?? '',
    method: req.method ?? '',
    path: req.url ?? '',
    origin: name,
    ...(typeof h.traceparent === 'string' && { traceparent: h.traceparent }),
    ...(typeof h.tracestate === 'string' && { tracestate: h.tracestate }),
    rawTrace: raw,
  };
}

/** Multipart boundaries are random per request: replace them so two runs compare equal. */
function normalizeBody(boundary: string | undefined, body: Buffer): string {
  const text = body.toString('utf8');
  return boundary ? text.split(boundary).join('BOUNDARY') : text;
}

function echoJson(req: IncomingMessage, body: Buffer) {
  // Sorted: the order a runtime writes header lines in is not part of the comparison.
  const headers: Record<string, string> = {};
  // Firefox's multipart boundaries differ in length from request to request, so a multipart
  // body's length does too: only its normalized text is compared.
  const boundary = req.headers['content-type']?.match(/boundary=([^;]+)/)?.[1];
  for (const [k, v] of Object.entries(req.headers).sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (TRACE_HEADERS.includes(k) || v === undefined) continue;
    const value = Array.isArray(v) ? v.join(', ') : v;
    headers[k] = k === 'content-type' ? value.replace(/boundary=[^;]+/, 'boundary=BOUNDARY') : boundary && k === 'content-length' ? 'N' : value;
  }
  const text = normalizeBody(boundary, body);
  return { method: req.method, path: req.url, headers, body: text, bytes: boundary ? text.length : body.length };
}

/**
 * The routes, by pathname. Query parameters: `c` (case), `status`, `text` (status text),
 * `to` + `code` (redirect), `ms` (delay), `chunks` + `every` (stream).
 */
function routes(state: EchoState, name: string, cors: (req: IncomingMessage) => Record<string, string>): Record<string, Handler> {
  const json = (res: ServerResponse, req: IncomingMessage, status: number, value: unknown, text?: string, extra: Record<string, string | string[]> = {}) => {
    const headers = { ...cors(req), 'content-type': 'application/json', 'cache-control': 'no-store', 'x-custom': 'v1', ...extra };
    if (text) res.writeHead(status, text, headers);
    else res.writeHead(status, headers);
    res.end(req.method === 'HEAD' ? undefined : JSON.stringify(value));
  };
  return {
    '/echo': (req, res, body) => {
      state.seen.push(record(state, name, req));
      json(res, req, 200, echoJson(req, body), undefined, { 'x-multi': ['a', 'b'] });
    },
    '/status': (req, res, body) => {
      state.seen.push(record(state, name, req));
      const status = Number(q(req).get('status') ?? 200);
      if (status === 204 || status === 304) {
        res.writeHead(status, { ...cors(req), 'x-custom': 'v1' }).end();
        return;
      }
      json(res, req, status, echoJson(req, body), q(req).get('text') ?? undefined);
    },
    '/redirect': (req, res) => {
      state.seen.push(record(state, name, req));
      const to = q(req).get('to') ?? '/echo';
      res.writeHead(Number(q(req).get('code') ?? 302), { ...cors(req), location: to, 'cache-control': 'no-store' }).end();
    },
    '/slow': async (req, res, body) => {
      state.seen.push(record(state, name, req));
      await new Promise((r) => setTimeout(r, Number(q(req).get('ms') ?? 1000)));
      if (!res.destroyed) json(res, req, 200, echoJson(req, body));
    },
    '/doc': (req, res) => {
      state.seen.push(record(state, name, req));
      const type = q(req).get('type') ?? 'text/html';
      const body = type.includes('xml') ? '<root><item id="a">xml doc</item></root>' : '<!doctype html><html><head><title>t</title></head><body><p id="x">html doc</p></body></html>';
      res.writeHead(200, { ...cors(req), 'content-type': type, 'cache-control': 'no-store' }).end(body);
    },
    '/drop': (req, res) => {
      state.seen.push(record(state, name, req));
      res.socket?.destroy();
    },
    '/stream': (req, res) => {
      state.seen.push(record(state, name, req));
      const chunks = Number(q(req).get('chunks') ?? 5);
      const every = Number(q(req).get('every') ?? 20);
      const run = state.run;
      const c = q(req).get('c') ?? '';
      const started = Date.now();
      res.writeHead(200, { ...cors(req), 'content-type': 'text/plain', 'cache-control': 'no-store' });
      let i = 0;
      let finished = false;
      const timer = setInterval(() => {
        if (i >= chunks) {
          clearInterval(timer);
          finished = true;
          res.end();
          return;
        }
        res.write(`chunk${i++};`);
      }, every);
      res.on('close', () => {
        clearInterval(timer);
        state.streams.push({ run, c, abortedByClient: !finished, afterMs: Date.now() - started });
      });
    },
  };
}

/** Mounts the echo routes on the page origin (same-origin calls): pass to startSite's extra routes. */
export function sameOriginRoutes(state: EchoState, name = 'same'): Record<string, Handler> {
  return routes(state, name, () => ({}));
}

/**
 * A cross-origin echo server answering CORS for any origin, credentials included, and
 * preflights for any method and header (so the agent's traceparent is allowed).
 */
export async function startEchoServer(state: EchoState, name: string): Promise<LoopbackServer> {
  const cors = (req: IncomingMessage): Record<string, string> =>
    req.headers.origin
      ? { 'access-control-allow-origin': req.headers.origin, 'access-control-allow-credentials': 'true', 'access-control-expose-headers': 'x-custom, x-multi', vary: 'Origin' }
      : {};
  const table = routes(state, name, cors);
  return startHttpServer((req, res, body) => {
    const { pathname } = new URL(req.url ?? '/', 'http://x');
    if (req.method === 'OPTIONS') {
      state.preflights.push(record(state, name, req));
      res
        .writeHead(204, {
          ...cors(req),
          'access-control-allow-methods': String(req.headers['access-control-request-method'] ?? 'GET'),
          'access-control-allow-headers': String(req.headers['access-control-request-headers'] ?? ''),
          'access-control-max-age': '0',
        })
        .end();
      return;
    }
    const route = table[pathname];
    if (route) return route(req, res, body);
    res.writeHead(404, { ...cors(req), 'content-type': 'text/plain' }).end('not found');
  });
}

export function newEchoState(): EchoState {
  return { run: '', seen: [], preflights: [], streams: [] };
}

/** A strict W3C traceparent (version 00, lowercase, non-zero ids). */
export const VALID_TRACEPARENT = /^00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$/;
