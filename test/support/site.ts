import type { IncomingMessage, ServerResponse } from 'node:http';
import { resolve } from 'node:path';
import { startOtlpReceiver, type OtlpReceiver } from './otlpReceiver';
import { serveStatic, startHttpServer, type Handler, type LoopbackServer } from './http';

export const DIST = resolve(import.meta.dirname, '../../dist');

export interface SeenRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
}

/** An API origin that records what it receives; `allowTraceHeaders` answers CORS preflights for them. */
export async function startApi(opts: { allowTraceHeaders: boolean }): Promise<LoopbackServer & { seen: SeenRequest[] }> {
  const seen: SeenRequest[] = [];
  const server = await startHttpServer((req: IncomingMessage, res: ServerResponse) => {
    seen.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers });
    const cors: Record<string, string> = { 'access-control-allow-origin': req.headers.origin ?? '*' };
    if (req.method === 'OPTIONS') {
      if (opts.allowTraceHeaders) {
        cors['access-control-allow-headers'] = String(req.headers['access-control-request-headers'] ?? '');
        cors['access-control-allow-methods'] = 'GET, POST, PUT, DELETE';
      }
      res.writeHead(204, cors).end();
      return;
    }
    const status = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('status') ?? 200);
    res.writeHead(status, { ...cors, 'content-type': 'application/json' }).end(JSON.stringify({ ok: status < 400, path: req.url }));
  });
  return Object.assign(server, { seen });
}

export interface Site {
  page: LoopbackServer;
  receiver: OtlpReceiver;
  /** The receiver's traces path mounted on the page's own origin, through a proxy. */
  sameOriginEndpoint: string;
  close(): Promise<void>;
}

/** Forwards a POST to the receiver and relays its answer, so the endpoint is same-origin. */
function proxyTo(target: () => string): Handler {
  return async (req, res, body) => {
    const upstream = await fetch(target(), {
      method: req.method,
      headers: {
        'content-type': String(req.headers['content-type'] ?? ''),
        ...(req.headers['content-encoding'] && { 'content-encoding': req.headers['content-encoding'] }),
      },
      body: req.method === 'POST' ? new Uint8Array(body) : undefined,
    });
    const headers: Record<string, string> = {};
    upstream.headers.forEach((v, k) => {
      if (!k.startsWith('access-control-') && k !== 'content-length' && k !== 'connection') headers[k] = v;
    });
    res.writeHead(upstream.status, headers).end(Buffer.from(await upstream.arrayBuffer()));
  };
}

/**
 * A page origin serving `fixtures` and the built bundles under /dist/, plus an OTLP
 * receiver on its own origin that answers CORS for the page like the Collector does
 * (`sameOrigin` instead mounts the receiver's path on the page origin through a proxy).
 */
export async function startSite(fixtures: string, extra: Record<string, Handler> = {}): Promise<Site> {
  const dist = serveStatic(resolve(DIST, '..'));
  const ref: { receiver?: OtlpReceiver } = {};
  const files = serveStatic(fixtures, { '/v1/traces': proxyTo(() => ref.receiver!.url), ...extra });
  const page = await startHttpServer((req, res, body) => (req.url?.startsWith('/dist/') ? dist(req, res, body) : files(req, res, body)));
  const receiver = (ref.receiver = await startOtlpReceiver({ allowedOrigins: [page.url] }));
  return {
    page,
    receiver,
    sameOriginEndpoint: page.url + '/v1/traces',
    async close() {
      await Promise.all([page.close(), receiver.close()]);
    },
  };
}
