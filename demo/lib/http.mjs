import { createServer } from 'node:http';
import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';

/** Everything the demo serves listens here: loopback only, never reachable from the network. */
export const HOST = '127.0.0.1';

/** A startup problem with a message meant for the person who ran `npm run demo`. */
export class DemoError extends Error {}

export function busyMessage(label, port) {
  return (
    `port ${port} (${label}) is already in use on ${HOST}. Stop whatever uses it, or move the demo:\n` +
    `  DEMO_PORT_BASE=9000 npm run demo      (shop 9000, edge 9001, origin 9002, receiver 9003)\n` +
    `  DEMO_${label.toUpperCase()}_PORT=${port + 100} npm run demo\n` +
    `  npm run demo -- --ports=auto          (any free ports)`
  );
}

/**
 * Starts `handler` on HOST:port (0 = any free port). Resolves to `{ url, port, close }`;
 * close() also ends keep-alive sockets, so shutdown never waits for an idle browser.
 */
export async function listen(handler, port, label) {
  const server = createServer((req, res) => {
    Promise.resolve(handler(req, res)).catch((err) => {
      console.error(`[${label}] ${req.method} ${req.url} failed:`, err);
      if (res.headersSent) res.destroy();
      else sendText(res, 500, 'internal error');
    });
  });
  const sockets = new Set();
  server.on('connection', (s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise((resolve, reject) => {
    server.once('error', (err) => reject(err.code === 'EADDRINUSE' ? new DemoError(busyMessage(label, port)) : err));
    server.listen(port, HOST, resolve);
  });
  const actual = server.address().port;
  return {
    url: `http://${HOST}:${actual}`,
    port: actual,
    close: () =>
      new Promise((done) => {
        server.close(() => done());
        for (const s of sockets) s.destroy();
      }),
  };
}

/** Fails with the busy message when `port` is taken (for the Deno child, which binds it itself). */
export async function assertPortFree(port, label) {
  const probe = await listen(() => {}, port, label);
  await probe.close();
}

export function readBody(req, maxBytes) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let bytes = 0;
    req.on('data', (c) => {
      bytes += c.length;
      if (bytes <= maxBytes) chunks.push(c);
    });
    req.on('end', () => resolve({ body: Buffer.concat(chunks), tooLarge: bytes > maxBytes }));
    req.on('error', reject);
  });
}

export function sendText(res, status, text, headers = {}) {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers }).end(text);
}

export function sendJson(res, status, value, headers = {}) {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers }).end(JSON.stringify(value));
}

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
};

/** `/name` -> file for each servable file directly in `dir`: a fixed list, so no path ever escapes it. */
export function filesIn(dir) {
  return new Map(readdirSync(dir).filter((n) => extname(n) in TYPES).map((n) => ['/' + n, join(dir, n)]));
}

/** Sends one file; `transform` may rewrite its text (HTML templates). */
export async function sendFile(res, file, headers = {}, transform) {
  let data = await readFile(file);
  if (transform) data = Buffer.from(transform(data.toString('utf8')));
  res.writeHead(200, {
    'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(data);
}

/** `{{NAME}}` placeholders filled with HTML-escaped values. */
export function fillTemplate(text, values) {
  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return text.replace(/\{\{(\w+)\}\}/g, (m, name) => (name in values ? esc(values[name]) : m));
}
