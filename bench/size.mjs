// Part 1: bundle size. Every tracelet build (raw, gzip -9, brotli q11) against the stock
// OpenTelemetry web stack built here with the same rollup + terser settings, plus which
// package costs what in tracelet's script-tag build. `--write-budget` records today's
// gzip sizes (+2%) in bench/size-budget.json, which test/unit/size-budget.test.ts enforces.
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { rollup } from 'rollup';
import { minify as terserMinify } from 'terser';
import { buildBundles } from './lib/build.mjs';
import { fmt, fmtRatio, kb, main, mdTable, ratio, table } from './lib/common.mjs';
import { ROOT } from './lib/support.mjs';

/** The 22 KB target for the full script-tag build (issue 7). */
export const TARGET_GZIP = 22 * 1024;
export const BUDGET_FILE = join(ROOT, 'bench/size-budget.json');
export const BUDGET_HEADROOM = 0.02;

/**
 * The builds the budget covers: the script-tag files and every `import` target in
 * package.json's exports (the npm entries, each with the dist/ chunks it imports).
 */
export async function distBuilds() {
  const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8'));
  const entries = new Set(['dist/tracelet.min.js', 'dist/tracelet.zone.min.js']);
  for (const e of Object.values(pkg.exports ?? {})) {
    if (e && typeof e === 'object' && typeof e.import === 'string' && e.import.endsWith('.js')) entries.add(e.import.replace(/^\.\//, ''));
  }
  return [...entries];
}

/**
 * An entry and the files of dist/ it imports (relative specifiers, transitively),
 * concatenated: what an ESM entry really weighs when its code is split into chunks.
 */
export async function entryBytes(rel) {
  const seen = new Set();
  const parts = [];
  const visit = async (file) => {
    if (seen.has(file)) return;
    seen.add(file);
    const code = await readFile(file);
    parts.push(code);
    for (const m of code.toString('utf8').matchAll(/(?:from\s*|import\s*\(?\s*)["'](\.\.?\/[^"']+)["']/g)) {
      await visit(join(dirname(file), m[1]));
    }
  };
  await visit(join(ROOT, rel));
  return Buffer.concat(parts);
}

export function sizes(buf) {
  return {
    raw: buf.length,
    gzip: gzipSync(buf, { level: 9 }).length,
    brotli: brotliCompressSync(buf, {
      params: { [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY, [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT, [constants.BROTLI_PARAM_SIZE_HINT]: buf.length },
    }).length,
  };
}

const packageOf = (id) => {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(id);
  if (m) return m[1];
  if (id.startsWith('\0')) return '(rollup helpers)';
  const rel = relative(ROOT, id);
  const dir = /^src\/([^/]+)\//.exec(rel);
  return dir ? `tracelet src/${dir[1]}` : `tracelet ${rel}`;
};

/**
 * Rebuilds the script-tag entry from rollup.config.mjs (same plugins, same terser) and
 * attributes its size to packages: each package's tree-shaken code as rendered into the
 * bundle, minified and gzipped on its own, then scaled to the real bundle's gzip size.
 */
export async function breakdown(outputFile = 'dist/tracelet.min.js') {
  const configs = (await import(pathToFileURL(join(ROOT, 'rollup.config.mjs')).href)).default;
  const cfg = configs.find((c) => !Array.isArray(c.output) && c.output?.file === outputFile);
  if (!cfg) throw new Error(`rollup.config.mjs has no build writing ${outputFile}`);
  const cwd = process.cwd();
  process.chdir(ROOT); // the config's paths are relative to the repo
  let modules;
  try {
    const b = await rollup({ ...cfg, onwarn: () => {} });
    const capture = { name: 'capture-modules', generateBundle(_o, bundleOut) {
      for (const c of Object.values(bundleOut)) if (c.type === 'chunk' && c.isEntry) modules = c.modules;
    } };
    const { output } = await b.generate({ ...cfg.output, sourcemap: false, plugins: [...(cfg.output.plugins ?? []), capture] });
    await b.close();
    modules.__total = sizes(Buffer.from(output[0].code));
  } finally {
    process.chdir(cwd);
  }
  const total = modules.__total;
  delete modules.__total;
  const byPkg = new Map();
  for (const [id, m] of Object.entries(modules)) {
    if (!m.code || !m.renderedLength) continue;
    const p = packageOf(id);
    const e = byPkg.get(p) ?? { pkg: p, modules: 0, rendered: 0, code: [] };
    e.modules++;
    e.rendered += m.renderedLength;
    e.code.push(m.code);
    byPkg.set(p, e);
  }
  const rows = [];
  for (const e of byPkg.values()) {
    // Top-level names stay (other packages use them), locals are mangled: close to in-bundle cost.
    const min = (await terserMinify(e.code.join('\n'), { ecma: 2020, compress: { passes: 2 }, mangle: true, format: { comments: false } })).code ?? '';
    rows.push({ pkg: e.pkg, modules: e.modules, rendered: e.rendered, min: min.length, gzipAlone: gzipSync(min, { level: 9 }).length });
  }
  const sumAlone = rows.reduce((s, r) => s + r.gzipAlone, 0);
  for (const r of rows) r.gzipShare = Math.round((r.gzipAlone / sumAlone) * total.gzip);
  rows.sort((a, b) => b.gzipShare - a.gzipShare);
  return { total, rows };
}

async function fileSizes(rel) {
  return existsSync(join(ROOT, rel)) ? sizes(await entryBytes(rel)) : undefined;
}

export async function run({ writeBudget = process.argv.includes('--write-budget') } = {}) {
  const missing = ['dist/tracelet.min.js', 'dist/index.js'].filter((f) => !existsSync(join(ROOT, f)));
  if (missing.length) throw new Error(`${missing.join(', ')} missing: run \`npm run build\` first`);
  const built = await buildBundles();
  const rows = [];
  const add = (label, what, s, file) => s && rows.push({ label, what, file, ...s });
  add('tracelet script tag', 'dist/tracelet.min.js (IIFE, everything inside)', await fileSizes('dist/tracelet.min.js'), 'dist/tracelet.min.js');
  add('tracelet script tag + Zone', 'dist/tracelet.zone.min.js', await fileSizes('dist/tracelet.zone.min.js'), 'dist/tracelet.zone.min.js');
  add('tracelet ESM in a page', "app `import {init} from 'tracelet'`, rollup+terser", sizes(await readFile(built['tracelet ESM app'])));
  add('tracelet npm entry', 'dist/index.js + its chunks (deps external, unminified)', await fileSizes('dist/index.js'), 'dist/index.js');
  add('tracelet npm entry /zone', 'dist/zone.js + its chunks (deps external, unminified)', await fileSizes('dist/zone.js'), 'dist/zone.js');
  add('tracelet Cloudflare', 'dist/cloudflare.js', await fileSizes('dist/cloudflare.js'), 'dist/cloudflare.js');
  add('tracelet Deno', 'dist/deno.js', await fileSizes('dist/deno.js'), 'dist/deno.js');
  const ref = sizes(await readFile(built['otel-web+zone']));
  const refNoZone = sizes(await readFile(built['otel-web (no zone)']));
  add('reference: OTel web + Zone', 'sdk-trace-web, context-zone, fetch, xhr, document-load, OTLP exporter, web-vitals/attribution', ref);
  add('reference: OTel web, no Zone', 'the same without context-zone', refNoZone);

  const byLabel = Object.fromEntries(rows.map((r) => [r.label, r]));
  const script = byLabel['tracelet script tag'];
  const vsRef = (r) => {
    if (!r || r.label.startsWith('reference') || r.label.startsWith('tracelet npm') || /Cloudflare|Deno/.test(r.label)) return '';
    const base = /Zone/.test(r.label) ? ref : refNoZone;
    return fmtRatio(ratio(r.gzip, base.gzip)) + (/Zone/.test(r.label) ? ' of +Zone' : ' of no-Zone');
  };
  const header = ['build', 'raw B', 'gzip -9 B', 'gzip KB', 'brotli B', 'vs reference (gzip)'];
  const sizeRows = [header, ...rows.map((r) => [r.label, r.raw, r.gzip, kb(r.gzip), r.brotli, vsRef(r)])];

  const bd = await breakdown();
  const pkgRows = [['package (script-tag build)', 'modules', 'rendered B', 'min alone B', 'gzip alone B', '≈ share of gzip B', '%']];
  for (const r of bd.rows) pkgRows.push([r.pkg, r.modules, r.rendered, r.min, r.gzipAlone, r.gzipShare, fmt((100 * r.gzipShare) / bd.total.gzip, 1)]);
  const hasVitals = bd.rows.some((r) => r.pkg === 'web-vitals');

  const targetMet = script.gzip <= TARGET_GZIP;
  // What the required packages cost on their own decides whether the target is reachable at all.
  const own = bd.rows.filter((r) => r.pkg.startsWith('tracelet')).reduce((s, r) => s + r.gzipShare, 0);
  const packages = bd.total.gzip - own;
  const notes = [
    `Target: script-tag build ≤ ${TARGET_GZIP} B gzip (22 KB): ${script.gzip} B — ${targetMet ? 'met' : `MISSED by ${script.gzip - TARGET_GZIP} B`}.`,
    `Script tag vs reference: ${fmtRatio(ratio(script.gzip, ref.gzip))} of OTel web + Zone, ${fmtRatio(ratio(script.gzip, refNoZone.gzip))} of the zoneless stack.`,
    `Of the script tag, the design card's packages (OTel + web-vitals) take ≈ ${packages} B gzip and tracelet's own code ≈ ${own} B: the packages alone are ${packages > TARGET_GZIP ? `${packages - TARGET_GZIP} B over` : `${TARGET_GZIP - packages} B under`} the ${TARGET_GZIP} B target.`,
    hasVitals ? 'The script-tag build includes web-vitals.' : 'Feature gap: the reference includes web-vitals/attribution (about 6 KB gzip alone); this tracelet build has no web-vitals module yet, so the ratio flatters tracelet.',
    'Per-package: each package’s tree-shaken code as rendered in the bundle, minified and gzipped alone; the share column scales those to the real gzip total (cross-package gzip context is shared in the real bundle).',
    'Anchors from ../shared/FIELD-NOTES.md (esbuild, not rebuilt here): Elastic APM RUM 23.2 KB, web-vitals attribution 6.2 KB, otel-cf-workers 1.0.0-rc 17.7 KB / 0.9.1 33.5 KB.',
  ];

  let budgetNote = '';
  if (writeBudget) {
    const builds = {};
    for (const f of await distBuilds()) {
      const s = await fileSizes(f);
      if (s) builds[f] = { gzip: s.gzip, budget: Math.ceil(s.gzip * (1 + BUDGET_HEADROOM)) };
    }
    const doc = {
      description: 'gzip -9 (node:zlib level 9) budgets in bytes for each build in dist/ (an ESM entry counts with the dist/ chunks it imports), enforced by test/unit/size-budget.test.ts. Recorded by `npm run build && node bench/size.mjs --write-budget` (today\'s size + 2%); lower them as the builds shrink.',
      headroom: BUDGET_HEADROOM,
      builds,
    };
    await writeFile(BUDGET_FILE, JSON.stringify(doc, null, 2) + '\n');
    budgetNote = `Wrote ${relative(ROOT, BUDGET_FILE)}: ${Object.entries(builds).map(([f, b]) => `${f} ${b.budget} B`).join(', ')}`;
  }

  const text = [
    '== 1. Bundle size ==',
    table(sizeRows),
    '',
    table(pkgRows),
    `total (real bundle): raw ${bd.total.raw} B, gzip ${bd.total.gzip} B, brotli ${bd.total.brotli} B`,
    '',
    ...notes,
    ...(budgetNote ? [budgetNote] : []),
  ].join('\n');
  const md = [
    '### 1. Bundle size',
    '',
    mdTable(sizeRows),
    '',
    'Which package costs what in `dist/tracelet.min.js`:',
    '',
    mdTable(pkgRows),
    '',
    ...notes.map((n) => '- ' + n),
  ].join('\n');
  const headline = [
    ['size: script tag gzip', `${script.gzip} B (${kb(script.gzip)} KB)`, `${ref.gzip} B (+Zone) / ${refNoZone.gzip} B`, fmtRatio(ratio(script.gzip, ref.gzip)) + ' / ' + fmtRatio(ratio(script.gzip, refNoZone.gzip)), `≤ 22528 B: ${targetMet ? 'met' : 'missed'}`],
  ];
  const esm = byLabel['tracelet ESM in a page'];
  headline.push(['size: ESM in a page gzip', `${esm.gzip} B`, `${refNoZone.gzip} B (no Zone)`, fmtRatio(ratio(esm.gzip, refNoZone.gzip)), '']);
  return { name: 'size', text, md, headline, data: { rows, breakdown: bd, target: TARGET_GZIP } };
}

await main(import.meta.url, run);
