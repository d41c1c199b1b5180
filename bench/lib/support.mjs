// Loads the TypeScript test support (Chromium launcher, site, strict OTLP receiver) from
// plain Node: each file under test/support/ is transpiled with the project's own
// `typescript` into bench/out/ (git- and lint-ignored) and imported from there. No runner.
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const OUT = join(ROOT, 'bench/out');
const SUPPORT = join(ROOT, 'test/support');

let loading;

async function transpileSupport() {
  await mkdir(OUT, { recursive: true });
  for (const f of await readdir(SUPPORT)) {
    if (!f.endsWith('.ts')) continue;
    const src = await readFile(join(SUPPORT, f), 'utf8');
    let { outputText } = ts.transpileModule(src, {
      fileName: f,
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false },
    });
    // Relative imports name .ts modules without an extension; Node wants the real file.
    outputText = outputText.replace(/(from\s+|import\s*\(\s*)(['"])(\.\/[^'"]+)\2/g, (_m, pre, q, spec) => `${pre}${q}${spec}.mjs${q}`);
    // bench/out/ is two levels below the repo like test/support/, so `import.meta.dirname`
    // paths (site.ts: ../../dist) still point at the repo.
    await writeFile(join(OUT, f.replace(/\.ts$/, '.mjs')), outputText);
  }
}

/** { launchChromium, collectPageProblems, startSite, startOtlpReceiver, startHttpServer, ... } */
export function loadSupport() {
  loading ??= transpileSupport().then(async () => ({
    ...(await import(join(OUT, 'chromium.mjs'))),
    ...(await import(join(OUT, 'site.mjs'))),
    ...(await import(join(OUT, 'otlpReceiver.mjs'))),
    ...(await import(join(OUT, 'http.mjs'))),
  }));
  return loading;
}
