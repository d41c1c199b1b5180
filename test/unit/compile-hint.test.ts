import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/*
 * The script-tag files begin with V8's explicit compile hint (rollup.config.mjs,
 * v8.dev/blog/explicit-compile-hints): Chromium then compiles their functions while the file
 * streams in, off the main thread. A minifier setting that drops the comment would silently
 * put that work back on the page's main thread before its load event. Runs after `npm run build`.
 */
const ROOT = resolve(import.meta.dirname, '../..');
const HINT = '//# allFunctionsCalledOnLoad\n';
const SCRIPT_TAGS = ['dist/tracelet.min.js', 'dist/tracelet.agent.min.js', 'dist/tracelet.bundle.min.js', 'dist/tracelet.zone.min.js'];

describe('script-tag builds', () => {
  for (const file of SCRIPT_TAGS) {
    it(`${file} begins with the compile hint`, () => {
      const path = join(ROOT, file);
      expect(existsSync(path), `${file} is built`).toBe(true);
      expect(readFileSync(path, 'utf8').startsWith(HINT)).toBe(true);
    });
  }
});
