import { ROOT_CONTEXT, type Tracer } from '@opentelemetry/api';
import type { RouteRecord } from './loader/hub';

/**
 * A `route_change` span for each same-document URL change the loader saw (loader/routes.ts),
 * with the old URL in `tracelet.route.from`, the new one in `url.full` and the cause in
 * `tracelet.route.trigger`. It starts a trace of its own: the page's server trace ends with
 * the first route change.
 */
export function adoptRouteChanges(tracer: Tracer, onChange: () => void): (r: RouteRecord) => void {
  return (r) => {
    onChange();
    const to = new URL(r.to);
    tracer
      .startSpan(
        'route_change',
        {
          startTime: r.s,
          attributes: { 'url.full': r.to, 'tracelet.route.from': r.from, 'tracelet.route.trigger': r.how, 'url.path': to.pathname },
        },
        ROOT_CONTEXT,
      )
      .end(r.s);
  };
}
