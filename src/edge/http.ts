/** HTTP semantic-convention helpers shared by SERVER and CLIENT spans. */

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH', 'QUERY']);

/** `http.request.method` (and `http.request.method_original` for a method outside the list). */
export function methodAttributes(method: string, attrs: Record<string, string | number>): string {
  const upper = method.toUpperCase();
  if (KNOWN_METHODS.has(upper)) {
    attrs['http.request.method'] = upper;
    return upper;
  }
  attrs['http.request.method'] = '_OTHER';
  attrs['http.request.method_original'] = method;
  return 'HTTP';
}

// Query parameters the semantic conventions ask to redact: signed-URL credentials.
const SECRET_PARAMS = ['AWSAccessKeyId', 'Signature', 'sig', 'X-Goog-Signature'];

/** `url.full` without credentials: user info and signed-URL signatures become REDACTED. */
export function redactedUrl(url: URL): string {
  if (!url.username && !url.password && !url.search) return url.href;
  const u = new URL(url.href);
  if (u.username) u.username = 'REDACTED';
  if (u.password) u.password = 'REDACTED';
  for (const p of SECRET_PARAMS) if (u.searchParams.has(p)) u.searchParams.set(p, 'REDACTED');
  return u.href;
}
