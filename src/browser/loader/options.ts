import { ConfigError } from '../../core/config';
import type { BrowserOptions } from '../options';

type Check = (v: unknown) => unknown;
const optional = (c: Check): Check => (v) => v == null || c(v);
const str: Check = (v) => typeof v == 'string';
const range = (min: number, max: number, integer?: boolean): Check =>
  optional((v) => typeof v == 'number' && v >= min && v <= max && (!integer || v % 1 == 0));
const scalar = (v: unknown) => ['string', 'boolean'].includes(typeof v) || (typeof v == 'number' && isFinite(v));
const fail = (option: string, problem: string): never => {
  throw new ConfigError(option, problem);
};

/** The option names of `instrumentations`. */
export const FEATURES = ['documentLoad', 'fetch', 'xhr', 'webVitals', 'errors', 'routeChanges'];

/**
 * Checks every option before anything is captured, so a mistake leaves the page untouched
 * and untraced: one ConfigError naming the option. Compact, for the loader's kilobyte; the
 * agent's parseBrowserOptions then normalizes the same options. Returns the endpoint, resolved.
 */
export function checkOptions(o: BrowserOptions): string {
  if (!o || typeof o != 'object' || Array.isArray(o)) fail('options', 'must be an object');
  const r = o as unknown as Record<string, unknown>;
  for (const [k, what, ok] of [
    ['serviceName', 'is required (a non-empty string)', (v: unknown) => str(v) && (v as string).trim()],
    ['endpoint', 'must be a URL (http(s)://… or /path)', (v: unknown) => str(v) && /^(https?:\/\/|\/(?!\/))\S*$/i.test(v as string)],
    ['serviceVersion', 'must be a string', optional(str)],
    ['environment', 'must be a string', optional(str)],
    ['sampleRate', 'must be a number from 0 to 1', range(0, 1)],
    ['maxQueueSize', 'must be an integer from 1 to 1000000', range(1, 1e6, true)],
    ['maxExportBatchSize', 'must be an integer from 1 to 100000', range(1, 1e5, true)],
    ['scheduledDelayMillis', 'must be a number from 0 to 3600000', range(0, 36e5)],
    ['redactUrl', 'must be a function (url) => string', optional((v) => typeof v == 'function')],
  ] as [string, string, Check][]) {
    if (!ok(r[k])) fail(k, `${what}, got ${typeof r[k] == 'string' ? JSON.stringify(r[k]) : String(r[k])}`);
  }
  for (const k of ['propagateTo', 'ignoreUrls']) {
    ([] as unknown[]).concat(r[k] ?? []).forEach((p, i) => str(p) || p instanceof RegExp || fail(`${k}[${i}]`, 'must be a string or a RegExp'));
  }
  for (const [k, what, ok] of [
    ['headers', 'a string', str],
    ['attributes', 'a string, number, boolean or an array of them', (v: unknown) => scalar(v) || (Array.isArray(v) && v.every((x) => x == null || scalar(x)))],
    ['instrumentations', 'a boolean', (v: unknown) => typeof v == 'boolean'],
  ] as [string, string, Check][]) {
    const v = r[k] as Record<string, unknown> | undefined;
    if (v == null) continue;
    if (typeof v != 'object' || Array.isArray(v)) fail(k, 'must be an object');
    for (const key of Object.keys(v)) {
      if (k == 'instrumentations' && !FEATURES.includes(key)) fail(`${k}.${key}`, `is unknown (known: ${FEATURES.join(', ')})`);
      if (!ok(v[key])) fail(`${k}.${key}`, 'must be ' + what);
    }
  }
  try {
    return new URL(o.endpoint, location.href).href;
  } catch {
    return fail('endpoint', 'must be a URL');
  }
}
