/** Query parameter names whose values never leave the browser. */
const SECRET = /token|key|secret|passw|pwd|auth|session|code|signature|^sig$|credential|jwt|otp|saml|ticket/i;

/** A query parameter's name as the server reads it (`%74oken` is `token`); the raw name if it does not decode. */
const paramName = (raw: string) => {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return raw;
  }
};

/**
 * Replaces the values of secret-looking query parameters (and user:password, as the semantic conventions ask) with
 * `REDACTED`. Works on absolute and relative URLs; what does not parse is returned as is.
 */
export const redactUrl = (url: string): string =>
  url
    .replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#@]*@/i, '$1REDACTED:REDACTED@')
    // The query: from the first `?` to the fragment; each name=value pair on its own.
    .replace(/\?[^#]*/, (query) => query.replace(/([?&])([^=&]*)=[^&]*/g, (pair, sep: string, name: string) => (SECRET.test(paramName(name)) ? sep + name + '=REDACTED' : pair)));

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
