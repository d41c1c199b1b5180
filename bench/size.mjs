// Part 1: bundle size. Every tracelet build (raw, gzip -9, brotli q11) against the stock
// OpenTelemetry web stack built here with the same rollup + terser settings, plus which
// package costs what in tracelet's agent. Issue #12's layout: the loader (dist/tracelet.min.js,
// ≤ 1,536 B gzip), the agent it adds when the page is idle (dist/tracelet.agent.min.js) and
// their sum against the stock zoneless stack, and the eager bundle (dist/tracelet.bundle.min.js);
// before that layout is built, dist/tracelet.min.js is the bundle and "loader: not built" is said.
// `--write-budget` records today's gzip sizes (+2%) of every shipped build in
// bench/size-budget.json, which test/unit/size-budget.test.ts enforces.
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { rollup } from 'rollup';
import { minify as terserMinify } from 'terser';
import { buildBundles, rollupConfigFor } from './lib/build.mjs';
import { AGENT, BUNDLE, LOADER, LOADER_AIM_GZIP, LOADER_MAX_GZIP, traceletBuilds } from './lib/builds.mjs';
import { fmt, fmtRatio, kb, main, mdTable, ratio, table } from './lib/common.mjs';
import { ROOT } from './lib/support.mjs';

/** The 22 KB target for the full agent (issue 7). */
export const TARGET_GZIP = 22 * 1024;
/** Issue #12: loader + agent at most the stock zoneless stack, aim 26 KB. */
export const SUM_AIM_GZIP = 26 * 1024;
export const BUDGET_FILE = join(ROOT, 'bench/size-budget.json');
export const BUDGET_HEADROOM = 0.02;

/**
 * The builds the budget covers: the script-tag files and every `import` target in
 * package.json's exports (the npm entries, each with the dist/ chunks it imports).
 */
export async function distBuilds() {
  const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8'));
  const entries = new Set([LOADER, AGENT, BUNDLE, 'dist/tracelet.zone.min.js'].filter((f) => existsSync(join(ROOT, f))));
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
export async function breakdown(outputFile = LOADER) {
  const cfg = await rollupConfigFor(outputFile);
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

const sumSizes = (...xs) => ({ raw: xs.reduce((t, x) => t + x.raw, 0), gzip: xs.reduce((t, x) => t + x.gzip, 0), brotli: xs.reduce((t, x) => t + x.brotli, 0) });
const met = (ok) => (ok ? 'met' : 'missed');

/** Budgets for every shipped build: today's gzip + 2%. */
async function writeBudget() {
  const builds = {};
  for (const f of await distBuilds()) {
    const s = await fileSizes(f);
    if (!s) continue;
    let budget = Math.ceil(s.gzip * (1 + BUDGET_HEADROOM));
    builds[f] = { gzip: s.gzip, budget };
  }
  const doc = {
    description: `gzip -9 (node:zlib level 9) budgets in bytes for each build in dist/ (an ESM entry counts with the dist/ chunks it imports), enforced by test/unit/size-budget.test.ts. Recorded by \`npm run build && node bench/size.mjs --write-budget\` (today's size + 2%); lower them as the builds shrink.`,
    headroom: BUDGET_HEADROOM,
    builds,
  };
  await writeFile(BUDGET_FILE, JSON.stringify(doc, null, 2) + '\n');
  return `Wrote ${relative(ROOT, BUDGET_FILE)}: ${Object.entries(builds).map(([f, b]) => `${f} ${b.budget} B`).join(', ')}`;
}

export async function run({ writeBudget: write = process.argv.includes('--write-budget') } = {}) {
  const missing = [LOADER, 'dist/index.js'].filter((f) => !existsSync(join(ROOT, f)));
  if (missing.length) throw new Error(`${missing.join(', ')} missing: run \`npm run build\` first`);
  const b = traceletBuilds();
  const built = await buildBundles();
  const ref = sizes(await readFile(built['otel-web+zone']));
  const refNoZone = sizes(await readFile(built['otel-web (no zone)']));
  const loader = b.loader && (await fileSizes(b.loader));
  const agent = b.agent && (await fileSizes(b.agent));
  const bundle = b.bundle && (await fileSizes(b.bundle));
  const sum = loader && agent ? sumSizes(loader, agent) : undefined;
  const esm = built['tracelet ESM app'];
  const esmInitial = sizes(Buffer.concat(await Promise.all(esm.initial.map((f) => readFile(f)))));
  const esmAll = sizes(Buffer.concat(await Promise.all([...esm.initial, ...esm.lazy].map((f) => readFile(f)))));

  const rows = [];
  const add = (label, what, s, vs = '') => rows.push({ label, what, s, vs });
  const vsNoZone = (s) => fmtRatio(ratio(s.gzip, refNoZone.gzip)) + ' of no-Zone';
  add('tracelet loader (script tag)', b.loader ? `${LOADER}: captures until the agent runs` : 'not built', loader);
  add('tracelet agent', b.agent ? `${AGENT}: added when the page is idle` : 'not built', agent);
  add('tracelet loader + agent', 'both files, each compressed on its own', sum, sum ? vsNoZone(sum) : '');
  add('tracelet bundle (eager)', b.bundle ? `${b.bundle}: the whole agent in one file` : 'not built', bundle, bundle ? vsNoZone(bundle) : '');
  const zone = await fileSizes('dist/tracelet.zone.min.js');
  add('tracelet script tag + Zone', 'dist/tracelet.zone.min.js', zone, zone ? fmtRatio(ratio(zone.gzip, ref.gzip)) + ' of +Zone' : '');
  add('tracelet ESM app: initial chunk', `app \`import {init} from 'tracelet'\`, rollup+terser: entry + static imports (${esm.initial.length} chunk${esm.initial.length > 1 ? 's' : ''})`, esmInitial);
  add('tracelet ESM app: all chunks', `initial + ${esm.lazy.length} lazy (dynamic import) chunk${esm.lazy.length === 1 ? '' : 's'}`, esmAll, vsNoZone(esmAll));
  add('tracelet npm entry', 'dist/index.js + its chunks (deps external, unminified)', await fileSizes('dist/index.js'));
  add('tracelet npm entry /zone', 'dist/zone.js + its chunks (deps external, unminified)', await fileSizes('dist/zone.js'));
  add('tracelet Cloudflare', 'dist/cloudflare.js', await fileSizes('dist/cloudflare.js'));
  add('tracelet Deno', 'dist/deno.js', await fileSizes('dist/deno.js'));
  add('reference: OTel web + Zone', 'sdk-trace-web, context-zone, fetch, xhr, document-load, OTLP exporter, web-vitals/attribution', ref);
  add('reference: OTel web, no Zone', 'the same without context-zone', refNoZone);
  const header = ['build', 'what', 'raw B', 'gzip -9 B', 'gzip KB', 'brotli B', 'vs reference (gzip)'];
  const sizeRows = [header, ...rows.map((r) => (r.s ? [r.label, r.what, r.s.raw, r.s.gzip, kb(r.s.gzip), r.s.brotli, r.vs] : [r.label, r.what, '—', '—', '—', '—', '']))];

  // Which package costs what, in the file that holds the whole agent.
  const full = b.agent ?? b.bundle;
  let bd;
  let bdNote = '';
  try {
    bd = await breakdown(full);
  } catch (err) {
    bdNote = `No per-package breakdown: ${err.message}.`;
  }
  const pkgRows = [[`package (${full})`, 'modules', 'rendered B', 'min alone B', 'gzip alone B', '≈ share of gzip B', '%']];
  for (const r of bd?.rows ?? []) pkgRows.push([r.pkg, r.modules, r.rendered, r.min, r.gzipAlone, r.gzipShare, fmt((100 * r.gzipShare) / bd.total.gzip, 1)]);
  const own = (bd?.rows ?? []).filter((r) => r.pkg.startsWith('tracelet')).reduce((t, r) => t + r.gzipShare, 0);

  const fullSize = agent ?? bundle;
  const loaderOk = loader && loader.gzip <= LOADER_MAX_GZIP;
  const sumOk = sum && sum.gzip <= refNoZone.gzip;
  const notes = [
    loader
      ? `Target: loader ≤ ${LOADER_MAX_GZIP} B gzip (aim ${LOADER_AIM_GZIP}): ${loader.gzip} B — ${met(loaderOk)}${loader.gzip <= LOADER_AIM_GZIP ? ', aim met' : ''}; brotli ${loader.brotli} B.`
      : `Target: loader ≤ ${LOADER_MAX_GZIP} B gzip (aim ${LOADER_AIM_GZIP}): ${b.note}.`,
    sum
      ? `Target: loader + agent ≤ the stock zoneless stack (${refNoZone.gzip} B gzip; aim ${SUM_AIM_GZIP} B): ${sum.gzip} B — ${met(sumOk)}${sum.gzip <= SUM_AIM_GZIP ? ', aim met' : ''} (${fmtRatio(ratio(sum.gzip, refNoZone.gzip))} of no-Zone, ${fmtRatio(ratio(sum.gzip, ref.gzip))} of +Zone).`
      : `Target: loader + agent ≤ the stock zoneless stack (${refNoZone.gzip} B gzip; aim ${SUM_AIM_GZIP} B): no loader yet; the eager bundle is ${bundle ? `${bundle.gzip} B (${fmtRatio(ratio(bundle.gzip, refNoZone.gzip))} of no-Zone)` : 'not built either'}.`,
    fullSize ? `Issue 7's target, the whole agent ≤ ${TARGET_GZIP} B gzip: ${full} ${fullSize.gzip} B — ${met(fullSize.gzip <= TARGET_GZIP)}.` : '',
    `ESM: the app's initial chunk (entry + static imports) is ${esmInitial.gzip} B gzip${esm.lazy.length ? `, the lazy chunk(s) ${esmAll.gzip - esmInitial.gzip} B more (gzipped together)` : '; no lazy chunk (no dynamic import in the npm entry yet)'}.`,
    bd ? `Of ${full}, the design card's packages (OTel + web-vitals) take ≈ ${bd.total.gzip - own} B gzip and tracelet's own code ≈ ${own} B.` : bdNote,
    'Per-package: each package’s tree-shaken code as rendered in the bundle, minified and gzipped alone; the share column scales those to the real gzip total (cross-package gzip context is shared in the real bundle). Sizes of two files are summed compressed one by one: they are two requests.',
    'Anchors from ../shared/FIELD-NOTES.md (esbuild, not rebuilt here): Elastic APM RUM 23.2 KB, web-vitals attribution 6.2 KB, loaders: Sentry ~1 KB, Datadog 276 B, Elastic 331 B, SpeedCurve LUX 628 B gzip.',
  ].filter(Boolean);
  const budgetNote = write ? await writeBudget() : '';

  const text = [
    '== 1. Bundle size ==',
    table(sizeRows.map((r) => r.filter((_, i) => i !== 1))),
    '',
    ...(bd ? [table(pkgRows), `total (real bundle): raw ${bd.total.raw} B, gzip ${bd.total.gzip} B, brotli ${bd.total.brotli} B`, ''] : []),
    ...notes,
    ...(budgetNote ? [budgetNote] : []),
  ].join('\n');
  const md = ['### 1. Bundle size', '', mdTable(sizeRows), '', ...(bd ? [`Which package costs what in \`${full}\`:`, '', mdTable(pkgRows), ''] : []), ...notes.map((n) => '- ' + n)].join('\n');
  const headline = [
    ['size: loader gzip', loader ? `${loader.gzip} B` : 'not built', '', '', `≤ ${LOADER_MAX_GZIP} B: ${loader ? met(loaderOk) : 'n/a'}`],
    sum
      ? ['size: loader + agent gzip', `${sum.gzip} B (${kb(sum.gzip)} KB)`, `${refNoZone.gzip} B (no Zone) / ${ref.gzip} B`, `${fmtRatio(ratio(sum.gzip, refNoZone.gzip))} / ${fmtRatio(ratio(sum.gzip, ref.gzip))}`, `≤ ${refNoZone.gzip} B: ${met(sumOk)}`]
      : ['size: loader + agent gzip', 'loader not built', `${refNoZone.gzip} B (no Zone)`, '', ''],
  ];
  if (bundle) headline.push(['size: eager bundle gzip', `${bundle.gzip} B (${kb(bundle.gzip)} KB)`, `${refNoZone.gzip} B (no Zone) / ${ref.gzip} B`, `${fmtRatio(ratio(bundle.gzip, refNoZone.gzip))} / ${fmtRatio(ratio(bundle.gzip, ref.gzip))}`, '']);
  headline.push(['size: ESM app initial chunk gzip', `${esmInitial.gzip} B`, '', '', esm.lazy.length ? '' : '(no lazy chunk yet)']);
  return { name: 'size', text, md, headline, data: { rows, breakdown: bd, layout: b } };
}

await main(import.meta.url, run);
