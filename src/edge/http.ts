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
