import { readFile } from 'node:fs/promises';
import type { Handler } from './http';

/** Serves an HTML file with `{{NAME}}` placeholders filled in. */
export function htmlTemplate(file: string, values: () => Record<string, string>): Handler {
  return async (_req, res) => {
    let html = await readFile(file, 'utf8');
    for (const [k, v] of Object.entries(values())) html = html.replaceAll(`{{${k}}}`, v);
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(html);
  };
}
