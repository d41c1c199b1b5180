import { ConfigError, isObject, parseCoreOptions, type CoreConfig, type CoreOptions } from '../core/config';
import { ownUrls, toUrlRegExp, type UrlPattern } from '../core/urlMatch';
import { redactUrl, safeRedactor } from '../core/redact';
import { INSTRUMENTATIONS } from './constants';

export interface BrowserOptions extends CoreOptions {
  /**
   * Cross-origin URLs that receive `traceparent`: origins (`https://api.example.com`),
   * URL prefixes or RegExps. Same-origin requests always do; no other origin ever does.
   */
  propagateTo?: UrlPattern[];
  /** URLs (prefixes or RegExps) that are not traced at all. The endpoint never is. */
  ignoreUrls?: UrlPattern[];
  /**
   * Rewrites every URL the agent records. Default: values of secret-looking query
   * parameters (token, key, secret, password, auth, session, code, signature, …) become
   * `REDACTED`.
   */
  redactUrl?: (url: string) => string;
  /** Turn single instrumentations off; all are on by default. */
  instrumentations?: Partial<Record<Instrumentation, boolean>>;
  /**
   * At most about this many spans a second leave the page (a token bucket one second deep,
   * full when the agent starts); spans beyond it are dropped and counted as `rate_limited`.
   * Default: no limit (the bounded queue still caps memory).
   */
  maxSpansPerSecond?: number;
}

export type Instrumentation = (typeof INSTRUMENTATIONS)[number];

export interface BrowserConfig extends CoreConfig {
  propagateTo: RegExp[];
  ignoreUrls: RegExp[];
  redactUrl: (url: string) => string;
  instrumentations: Record<Instrumentation, boolean>;
  maxSpansPerSecond?: number;
}

function patterns(o: Record<string, unknown>, key: string): RegExp[] {
  const v = o[key];
  if (v === undefined || v === null) return [];
  const list = Array.isArray(v) ? v : [v];
  return list.map((p, i) => {
    if (typeof p === 'string' || p instanceof RegExp) return toUrlRegExp(p);
    throw new ConfigError(`${key}[${i}]`, 'must be a string or a RegExp');
  });
}

function instrumentations(o: Record<string, unknown>): Record<Instrumentation, boolean> {
  const v = o.instrumentations ?? {};
  if (!isObject(v)) throw new ConfigError('instrumentations', 'must be an object of booleans');
  const out = {} as Record<Instrumentation, boolean>;
  for (const k of Object.keys(v)) {
    if (!INSTRUMENTATIONS.includes(k as Instrumentation)) throw new ConfigError(`instrumentations.${k}`, `is unknown (known: ${INSTRUMENTATIONS.join(', ')})`);
    if (typeof v[k] !== 'boolean') throw new ConfigError(`instrumentations.${k}`, 'must be a boolean');
  }
  for (const k of INSTRUMENTATIONS) out[k] = v[k] !== false;
  return out;
}

/** A rate above 0, or none. */
function spanRate(v: unknown): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || v > 1_000_000) {
    throw new ConfigError('maxSpansPerSecond', `must be a number above 0 and at most 1000000, got ${typeof v === 'number' ? String(v) : (JSON.stringify(v) ?? typeof v)}`);
  }
  return v;
}

export function parseBrowserOptions(input: unknown, base: string): BrowserConfig {
  const core = parseCoreOptions(input, base);
  const o = input as Record<string, unknown>;
  if (o.redactUrl !== undefined && typeof o.redactUrl !== 'function') throw new ConfigError('redactUrl', 'must be a function (url) => string');
  return {
    redactUrl: o.redactUrl ? safeRedactor(o.redactUrl as (url: string) => string) : redactUrl,
    instrumentations: instrumentations(o),
    ...core,
    propagateTo: patterns(o, 'propagateTo'),
    // The agent's own exports are never traced: they would trace themselves forever.
    ignoreUrls: [ownUrls(core.endpoint), ...patterns(o, 'ignoreUrls')],
    maxSpansPerSecond: spanRate(o.maxSpansPerSecond),
  };
}

export { isObject };
