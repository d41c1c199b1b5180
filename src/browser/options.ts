import { ConfigError, isObject, parseCoreOptions, type CoreConfig, type CoreOptions } from '../core/config';
import { toUrlRegExp, type UrlPattern } from '../core/urlMatch';

export interface BrowserOptions extends CoreOptions {
  /**
   * Cross-origin URLs that receive `traceparent`: origins (`https://api.example.com`),
   * URL prefixes or RegExps. Same-origin requests always do; no other origin ever does.
   */
  propagateTo?: UrlPattern[];
  /** URLs (prefixes or RegExps) that are not traced at all. The endpoint never is. */
  ignoreUrls?: UrlPattern[];
}

export interface BrowserConfig extends CoreConfig {
  propagateTo: RegExp[];
  ignoreUrls: RegExp[];
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

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function parseBrowserOptions(input: unknown, base: string): BrowserConfig {
  const core = parseCoreOptions(input, base);
  const o = input as Record<string, unknown>;
  return {
    ...core,
    propagateTo: patterns(o, 'propagateTo'),
    // The agent's own exports are never traced: they would trace themselves forever.
    ignoreUrls: [new RegExp('^' + escape(core.endpoint) + '(?:[?#]|$)'), ...patterns(o, 'ignoreUrls')],
  };
}

export { isObject };
