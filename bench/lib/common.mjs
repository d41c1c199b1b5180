// Small helpers shared by the bench parts: statistics, formatting, tables, and "run me alone".
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export function median(xs) {
  const a = xs.filter((x) => Number.isFinite(x)).sort((p, q) => p - q);
  if (!a.length) return NaN;
  const m = a.length >> 1;
  return a.length % 2 ? a[m] : (a[m - 1] + a[m]) / 2;
}

export function quantile(xs, q) {
  const a = xs.filter((x) => Number.isFinite(x)).sort((p, r) => p - r);
  if (!a.length) return NaN;
  return a[Math.min(a.length - 1, Math.max(0, Math.round(q * (a.length - 1))))];
}

/** Fixed decimals, or "n/a" for a missing number. */
export const fmt = (x, digits = 0) => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');
export const kb = (bytes) => fmt(bytes / 1024, 1);
export const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? a / b : NaN);
export const fmtRatio = (r) => (Number.isFinite(r) ? r.toFixed(2) + '×' : 'n/a');

/** A plain-text table; `rows` are arrays of cells, the first row the header. */
export function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i] ?? '').length)));
  const line = (r) => r.map((c, i) => (i === 0 ? String(c ?? '').padEnd(widths[i]) : String(c ?? '').padStart(widths[i]))).join('  ');
  return [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

/** The same rows as a Markdown table (first column left-aligned, the others right-aligned). */
export function mdTable(rows) {
  const esc = (c) => String(c ?? '').replace(/\|/g, '\\|');
  return [
    '| ' + rows[0].map(esc).join(' | ') + ' |',
    '|' + rows[0].map((_, i) => (i === 0 ? '---' : '---:')).join('|') + '|',
    ...rows.slice(1).map((r) => '| ' + r.map(esc).join(' | ') + ' |'),
  ].join('\n');
}

/** True when the module at `metaUrl` is the script node was started with. */
export const isMain = (metaUrl) => process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(metaUrl);

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Runs `fn` with a hard time limit, so no part can hang the whole bench. */
export async function withDeadline(label, ms, fn) {
  let timer;
  try {
    return await Promise.race([
      fn(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${label}: gave up after ${ms / 1000} s`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs counts from the environment: BENCH_QUICK=1 divides them (for a smoke run). */
export function runs(n) {
  return process.env.BENCH_QUICK ? Math.max(2, Math.ceil(n / 3)) : n;
}

/** Prints a part's report when the module is run alone. */
export async function main(metaUrl, run) {
  if (!isMain(metaUrl)) return;
  try {
    const r = await run();
    console.log('\n' + r.text);
    process.exitCode = 0;
  } catch (err) {
    console.error(err);
    process.exitCode = 1;
  }
}
