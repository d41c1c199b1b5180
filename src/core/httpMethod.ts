import type { Attributes } from '@opentelemetry/api';

/** The request methods the HTTP semantic conventions know (`http.request.method`). */
const KNOWN_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH', 'QUERY'];

/**
 * Sets `http.request.method`, or `_OTHER` and `http.request.method_original` for a method
 * outside the list, and returns the span name: the method, or `HTTP` for an unknown one
 * (semantic conventions, HTTP spans: "Method SHOULD be set to `_OTHER`… span name `HTTP`").
 */
export function methodAttributes(method: string, attrs: Attributes): string {
  const upper = method.toUpperCase();
  if (KNOWN_METHODS.includes(upper)) return (attrs['http.request.method'] = upper);
  attrs['http.request.method'] = '_OTHER';
  attrs['http.request.method_original'] = method;
  return 'HTTP';
}
