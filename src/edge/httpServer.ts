import { SpanKind, SpanStatusCode, type Attributes } from '@opentelemetry/api';
import { extractParent } from '../core/formats';
import { outgoingFlags } from '../core/propagation';
import type { EdgeAgent } from './agent';
import { agentRoot } from './context';
import { methodAttributes } from '../core/httpMethod';
import { serverTimingEntries } from '../core/serverTiming';
import { withServerTiming } from './serverTiming';
import { runInSpan } from './span';

/** What the runtime adapter knows about a request beyond the Request itself. */
export interface RequestInfo {
  /**
   * The caller's IP, read only with `captureClientAddress` (Deno's `info.remoteAddr` is a
   * getter that asks the runtime: profiled at about 5% of tracelet's CPU per request).
   */
  clientAddress?: () => string | undefined;
}

const SERVER = { kind: SpanKind.SERVER };

function routeOf(agent: EdgeAgent, request: Request): string | undefined {
  try {
    const r = agent.config.route?.(request);
    return typeof r === 'string' && r ? r : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Serves one request inside a SERVER span that continues the incoming trace context in
 * the configured formats (a malformed one starts a fresh trace). The handler's exception
 * is recorded and rethrown untouched; its response gets the span's traceparent in
 * Server-Timing.
 */
export function traceRequest(
  agent: EdgeAgent,
  request: Request,
  handler: () => Response | Promise<Response>,
  info: RequestInfo = {},
): Promise<Response> {
  const headers = request.headers;
  const parent = extractParent(agentRoot(agent), agent.config.propagators, (name) => headers.get(name));
  const attrs: Record<string, string | number> = {};
  const method = methodAttributes(request.method, attrs);
  const url = new URL(request.url);
  attrs['url.path'] = url.pathname;
  attrs['url.scheme'] = url.protocol.slice(0, -1);
  const route = routeOf(agent, request);
  if (route) attrs['http.route'] = route;
  const ua = headers.get('user-agent');
  if (ua) attrs['user_agent.original'] = ua;
  const client = agent.config.captureClientAddress ? info.clientAddress?.() : undefined;
  if (client) attrs['client.address'] = client;

  // Attributes set after the start, not passed to it: the SDK would copy and check them twice
  // more for the sampler (ours never reads them) and the edge has no onStart hooks to see them.
  const span = agent.tracer.startSpan(route ? method + ' ' + route : method, SERVER, parent);
  span.setAttributes(attrs as Attributes);
  const timing = agent.config.serverTiming;
  // The Server-Timing entry is added as the span ends, not in a `.then` of its own: one promise less per request.
  return runInSpan(span, parent, handler, (res) => {
    span.setAttribute('http.response.status_code', res.status);
    if (res.status >= 500) {
      span.setStatus({ code: SpanStatusCode.ERROR });
      span.setAttribute('error.type', String(res.status));
    }
    if (!timing.length || !(res instanceof Response)) return;
    const sc = span.spanContext();
    try {
      return withServerTiming(res, serverTimingEntries(timing, sc.traceId, sc.spanId, outgoingFlags(sc)));
    } catch {
      return; // a body already used cannot be copied: the response matters more than the header
    }
  });
}
