
/**
 * Appends a Server-Timing entry to a response. A response with immutable headers (one
 * from `fetch`, passed through) is copied first; a 101 or WebSocket upgrade is returned
 * as is, since copying it would lose the socket.
 */
export function withServerTiming(res: Response, entry: string): Response {
  if (res.status === 101 || (res as { webSocket?: unknown }).webSocket) return res;
  try {
    res.headers.append('server-timing', entry);
    return res;
  } catch {
    const copy = new Response(res.body, res);
    copy.headers.append('server-timing', entry);
    return copy;
  }
}
