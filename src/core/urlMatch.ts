/** A URL pattern as users write it: an origin, a URL prefix, or a RegExp. */
export type UrlPattern = string | RegExp;

/** Escapes `s` for use inside a RegExp. */
export const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Turns a user pattern into a RegExp over absolute URLs. A string is a prefix; a bare
 * origin (`https://api.example.com`) must be followed by a path, query, fragment or the
 * end, so it never matches `https://api.example.com.evil.net`.
 */
export function toUrlRegExp(pattern: UrlPattern): RegExp {
  if (pattern instanceof RegExp) return pattern;
  let p = pattern.trim();
  let bareOrigin = false;
  // Nothing after the host, not even a "/": the origin, normalised (case, default port).
  if (/^https?:\/\/[^/?#]+$/i.test(p)) {
    try {
      p = new URL(p).origin;
      bareOrigin = true;
    } catch {
      // not a URL: a plain prefix
    }
  }
  return new RegExp('^' + escapeRegExp(p) + (bareOrigin ? '(?:[/?#]|$)' : ''));
}

/** The endpoint itself, with or without a query or fragment, and nothing longer: an agent's own exports. */
export const ownUrls = (endpoint: string): RegExp => new RegExp('^' + escapeRegExp(endpoint) + '(?:[?#]|$)');

export function matchesAny(url: string, patterns: readonly RegExp[]): boolean {
  for (const re of patterns) {
    re.lastIndex = 0;
    if (re.test(url)) return true;
  }
  return false;
}

/** Parses `data-propagate-to="https://a.example, https://b.example/api/"`. */
export function splitList(value: string | null | undefined): string[] {
  // No RegExp for an absent list: a RegExp's first use in a page compiles it (see loader/options).
  return value ? value.split(/[\s,]+/).filter(Boolean) : [];
}
