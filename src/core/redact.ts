/** Query parameter names whose values never leave the browser. */
const SECRET = /token|key|secret|passw|pwd|auth|session|code|signature|^sig$|credential|jwt|otp|saml|ticket/i;

/**
 * Replaces the values of secret-looking query parameters (and user:password, as the semantic conventions ask) with
 * `REDACTED`. Works on absolute and relative URLs; what does not parse is returned as is.
 */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  let out = url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#@]*@/i, '$1REDACTED:REDACTED@');
  if (q < 0) return out;
  const hash = url.indexOf('#', q);
  const query = url.slice(q + 1, hash < 0 ? undefined : hash);
  const redacted = query
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      if (eq < 0) return pair;
      let name = pair.slice(0, eq);
      try {
        name = decodeURIComponent(name.replace(/\+/g, ' '));
      } catch {
        // keep the raw name
      }
      return SECRET.test(name) ? pair.slice(0, eq) + '=REDACTED' : pair;
    })
    .join('&');
  out = out.slice(0, out.indexOf('?') + 1) + redacted + (hash < 0 ? '' : url.slice(hash));
  return out;
}

/** Attributes that hold URLs: their values pass through the redaction rule on export. */
export const URL_ATTRIBUTES = new Set(['url.full', 'http.url', 'tracelet.route.from', 'web_vital.lcp.url']);

/** Applies a user's rule safely: a rule that throws or returns a non-string hides the whole URL. */
export function safeRedactor(rule: (url: string) => string): (url: string) => string {
  return (url) => {
    try {
      const r = rule(url);
      return typeof r === 'string' ? r : 'REDACTED';
    } catch {
      return 'REDACTED';
    }
  };
}
