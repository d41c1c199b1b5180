import { join } from 'node:path';
import { readdirSync } from 'node:fs';
import { filesIn, listen, sendFile, sendText } from '../lib/http.mjs';

const PUBLIC = join(import.meta.dirname, 'public');

/**
 * The shop's static files, behind the edge (which serves them untraced, like a CDN): the
 * page's script and style, and every dist/tracelet*.js file with its source map, so the
 * script tag and whatever it loads next (the full agent) come from the page's own origin
 * and `script-src 'self'` covers them. The page itself is rendered by the origin.
 */
export async function startShop({ port, dist }) {
  const files = filesIn(PUBLIC);
  for (const name of readdirSync(dist)) {
    if (/^tracelet[\w.-]*\.js(\.map)?$/.test(name)) files.set('/' + name, join(dist, name));
  }
  return listen(async (req, res) => {
    const { pathname } = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendText(res, 405, 'method not allowed');
    const file = files.get(pathname);
    if (file) return sendFile(res, file);
    sendText(res, 404, 'not found');
  }, port, 'shop');
}
