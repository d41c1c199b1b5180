import { join } from 'node:path';
import { fillTemplate, filesIn, listen, sendFile, sendText } from '../lib/http.mjs';

const PUBLIC = join(import.meta.dirname, 'public');
// Paths the single-page shop owns; each serves the same page, which then routes itself.
const PAGES = new Set(['/', '/index.html', '/cart']);

/**
 * The shop page, its scripts, and dist/tracelet.min.js. `urls()` gives the edge API and
 * the receiver, known only once they run. The CSP is strict on purpose: the agent needs
 * no inline code and talks only to the origins listed in connect-src.
 */
export async function startShop({ port, dist, urls }) {
  const files = filesIn(PUBLIC);
  for (const name of ['tracelet.min.js', 'tracelet.min.js.map']) files.set('/' + name, join(dist, name));

  return listen(async (req, res) => {
    const { pathname } = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendText(res, 405, 'method not allowed');
    const { edge, endpoint, view } = urls();
    const csp = [
      "default-src 'self'",
      `connect-src 'self' ${edge} ${new URL(endpoint).origin}`,
      "img-src 'self' data:",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join('; ');
    if (PAGES.has(pathname)) {
      return sendFile(res, join(PUBLIC, 'index.html'), { 'content-security-policy': csp }, (html) =>
        fillTemplate(html, { EDGE: edge, ENDPOINT: endpoint, VIEW: view }),
      );
    }
    const file = files.get(pathname);
    if (file) return sendFile(res, file);
    sendText(res, 404, 'not found');
  }, port, 'shop');
}
