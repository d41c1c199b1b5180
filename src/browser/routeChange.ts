import type { Tracer } from '@opentelemetry/api';
import { listen } from './lib/listen';

type Trigger = 'pushState' | 'replaceState' | 'popstate' | 'hashchange' | 'push' | 'replace' | 'traverse' | 'reload';

interface NavigationLike extends EventTarget {
  currentEntry?: { url?: string | null } | null;
}

/**
 * A `route_change` span for each same-document URL change, with the old URL in
 * `tracelet.route.from`, the new one in `url.full` and the cause in
 * `tracelet.route.trigger`. Where the Navigation API exists it sees every kind of change
 * (push, replace, traverse, hash) in one place; elsewhere history methods are wrapped and
 * popstate/hashchange listened to.
 */
export function instrumentRouteChanges(tracer: Tracer, onChange: () => void = () => {}): () => void {
  let last = location.href;
  let active = true;
  const record = (trigger: Trigger) => {
    const url = location.href;
    if (!active || url === last) return;
    const span = tracer.startSpan('route_change', {
      attributes: { 'url.full': url, 'tracelet.route.from': last, 'tracelet.route.trigger': trigger, 'url.path': location.pathname },
    });
    last = url;
    span.end();
    onChange();
  };

  const nav = (globalThis as { navigation?: NavigationLike }).navigation;
  if (nav && typeof nav.addEventListener === 'function') {
    const stop = listen(
      'currententrychange' as keyof WindowEventMap,
      (e: Event) => record(((e as Event & { navigationType?: Trigger }).navigationType ?? 'push') as Trigger),
      nav,
    );
    return () => {
      active = false;
      stop();
    };
  }

  // The wrappers stay when stopped (another script may have wrapped them since); they go quiet.
  const wrap = (name: 'pushState' | 'replaceState') => {
    const original = history[name];
    history[name] = function (this: History, ...args: Parameters<History['pushState']>) {
      const r = original.apply(this, args);
      record(name);
      return r;
    };
  };
  wrap('pushState');
  wrap('replaceState');
  const stops = [listen('popstate', () => record('popstate')), listen('hashchange', () => record('hashchange'))];
  return () => {
    active = false;
    stops.forEach((s) => s());
  };
}
