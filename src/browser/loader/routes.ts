import { listen } from '../lib/listen';
import type { Hub } from './hub';
import { now } from './ids';
import { emit } from './records';

interface NavigationLike extends EventTarget {
  currentEntry?: unknown;
}

/**
 * Same-document URL changes. The Navigation API sees every kind (push, replace, traverse,
 * hash) in one place; where it is missing (Firefox, Safari) history methods are wrapped and
 * popstate/hashchange listened to. The first change ends the page's server trace.
 */
export function captureRoutes(h: Hub): () => void {
  let last = location.href;
  const changed = (how: string) => {
    const to = location.href;
    if (!h.on || to === last) return;
    h.pg = undefined;
    emit(h, { k: 'route', s: now(), from: last, to, how });
    last = to;
  };
  const nav = (globalThis as { navigation?: NavigationLike }).navigation;
  if (nav?.addEventListener) return listen('currententrychange' as 'focus', (e) => changed((e as Event & { navigationType?: string }).navigationType ?? 'push'), nav);
  for (const name of ['pushState', 'replaceState'] as const) {
    const original = history[name];
    history[name] = function (this: History) {
      // eslint-disable-next-line prefer-rest-params
      const r = original.apply(this, arguments as unknown as Parameters<History['pushState']>);
      changed(name);
      return r;
    };
  }
  // The history wrappers stay when stopped (another script may have wrapped them since): they go quiet.
  const stops = [listen('popstate', () => changed('popstate')), listen('hashchange', () => changed('hashchange'))];
  return () => stops.forEach((s) => s());
}
