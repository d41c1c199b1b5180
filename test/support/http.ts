import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { readFile } from 'node:fs/promises';
import { extname, isAbsolute, join, relative, resolve } from 'node:path';

export type Handler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => void | Promise<void>;

export interface LoopbackServer {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Listens on 127.0.0.1 with a random port. Loopback only: tests must not be reachable
 * from the network, and Chromium sends only loopback traffic past its dead proxy.
 */
export async function listenOnLoopback(server: Server): Promise<LoopbackServer> {
  // Tracked so close() also ends keep-alive and upgraded sockets the browser still holds.
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolveListen();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('server has no TCP address');
  const port = address.port;
  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close() {
      closing ??= new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}

export interface ReadBody {
  /** The body, or its first `maxBytes` bytes when `overLimit`. */
  body: Buffer;
  /** Bytes received on the wire. */
  bytes: number;
  overLimit: boolean;
}

/** Buffers a request body. Past `maxBytes` it keeps draining so a 413 can still be sent cleanly. */
export function readBody(req: IncomingMessage, maxBytes = Infinity): Promise<ReadBody> {
  return new Promise((done, fail) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    req.on('data', (chunk: Buffer) => {
      if (bytes + chunk.length <= maxBytes) chunks.push(chunk);
      else if (bytes < maxBytes) chunks.push(chunk.subarray(0, maxBytes - bytes));
      bytes += chunk.length;
    });
    req.on('end', () => done({ body: Buffer.concat(chunks), bytes, overLimit: bytes > maxBytes }));
    req.on('error', fail);
  });
}

/** An HTTP server on 127.0.0.1:random whose handler gets the whole body; a throwing handler gives a 500. */
export async function startHttpServer(handler: Handler): Promise<LoopbackServer> {
  const server = createServer((req, res) => {
    void (async () => {
      try {
        const { body } = await readBody(req);
        await handler(req, res, body);
      } catch (err) {
        // Loud on purpose: a broken fixture should not look like a broken agent.
        console.error(`test http server: ${req.method} ${req.url} failed:`, err);
        if (res.headersSent) res.destroy();
        else res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end(String(err));
      }
    })();
  });
  return listenOnLoopback(server);
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  // Module scripts are refused unless served with a JavaScript MIME type.
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
};

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }).end(text);
}

/**
 * Serves files under `root` ("/" is index.html) without caching, so each test sees the
 * bundle it just built. `extra` routes, keyed by pathname, win over files.
 */
export function serveStatic(root: string, extra: Record<string, Handler> = {}): Handler {
  const base = resolve(root);
  return async (req, res, body) => {
    const { pathname } = new URL(req.url ?? '/', 'http://127.0.0.1');
    const route = Object.prototype.hasOwnProperty.call(extra, pathname) ? extra[pathname] : undefined;
    if (route) return route(req, res, body);
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendText(res, 405, 'method not allowed');
    let decoded: string;
    try {
      decoded = decodeURIComponent(pathname);
    } catch {
      return sendText(res, 400, 'bad path');
    }
    const file = join(base, decoded.endsWith('/') ? decoded + 'index.html' : decoded);
    const rel = relative(base, file);
    if (rel.startsWith('..') || isAbsolute(rel)) return sendText(res, 403, 'outside root');
    let data: Buffer;
    try {
      data = await readFile(file);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR') return sendText(res, 404, 'not found');
      throw err;
    }
    res.writeHead(200, {
      'content-type': CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
      'content-length': data.length,
      'cache-control': 'no-store',
    });
    res.end(req.method === 'HEAD' ? undefined : data);
  };
}
