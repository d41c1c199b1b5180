import { listen } from './listen';

/**
 * Calls `cb` when the page is hidden or left: `visibilitychange` to hidden covers tab
 * switches and most exits, `pagehide` the rest (and bfcache entry). Listens in the
 * bubble phase on window, so it runs after web-vitals' capture listeners have reported
 * their final values. Returns a function that removes the listeners.
 */
export function onHidden(cb: (event: Event) => void): () => void {
  const stops = [
    listen('visibilitychange', (e) => {
      if (document.visibilityState === 'hidden') cb(e);
    }),
    listen('pagehide', cb),
  ];
  return () => stops.forEach((s) => s());
}
