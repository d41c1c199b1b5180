/** Runs `cb` when the main thread is idle (at most `timeout` ms later), off the page's critical path. */
export function whenIdle(cb: () => void, timeout = 2000): void {
  const ric = (globalThis as { requestIdleCallback?: (cb: () => void, o: { timeout: number }) => number }).requestIdleCallback;
  if (ric) ric(cb, { timeout });
  else setTimeout(cb, 1);
}
