/**
 * Calls `cb` when the page is hidden or left: `visibilitychange` to hidden covers tab
 * switches and most exits, `pagehide` covers the rest (and bfcache entry). Returns a
 * function that removes the listeners.
 */
export function onHidden(cb: (event: Event) => void): () => void {
  const onVisibility = (e: Event) => {
    if (document.visibilityState === 'hidden') cb(e);
  };
  addEventListener('visibilitychange', onVisibility, true);
  addEventListener('pagehide', cb, true);
  return () => {
    removeEventListener('visibilitychange', onVisibility, true);
    removeEventListener('pagehide', cb, true);
  };
}
