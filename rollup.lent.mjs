import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/*
 * The script-tag agent comes after the loader, which already holds some of the same
 * functions (src/browser/loader/lent.ts lists them). In the agent's build, a module that
 * defines any of them becomes one that reads those from the loader's `Tracelet.__lib` and
 * takes the rest of its exports from the real module. The agent checks the loader's version
 * before it runs any of them (script.agent.ts).
 */
const LENT_FILE = new URL('./src/browser/loader/lent.ts', import.meta.url).pathname;
/** Real module path → the names lent from it. */
const lent = new Map(
  [...readFileSync(LENT_FILE, 'utf8').matchAll(/^import \{ ([^}]+) \} from '([^']+)';$/gm)].map((m) => [resolve(dirname(LENT_FILE), m[2] + '.ts'), m[1].split(', ')]),
);
const exportsOf = (file) => [...readFileSync(file, 'utf8').matchAll(/^export (?:const|let|function) (\w+)/gm)].map((m) => m[1]);
const PREFIX = '\0lent:';

export function fromLoader() {
  return {
    name: 'from-loader',
    resolveId(id, importer) {
      if (!importer || importer.startsWith(PREFIX) || !id.startsWith('.')) return null;
      const file = resolve(dirname(importer), id + '.ts');
      return lent.has(file) ? PREFIX + file : null;
    },
    load(id) {
      if (!id.startsWith(PREFIX)) return null;
      const file = id.slice(PREFIX.length);
      const names = lent.get(file);
      const own = exportsOf(file).filter((n) => !names.includes(n));
      // A loader without `__lib` (another version) leaves them undefined; the agent then stops.
      return (
        `export const { ${names.join(', ')} } = (window.Tracelet || {}).__lib || {};\n` +
        (own.length ? `export { ${own.join(', ')} } from ${JSON.stringify(file)};\n` : '')
      );
    },
  };
}
