/** Gets each Resource Timing entry of its type and URL until stopped; true takes the entry (no later watcher sees it). */
export type ResourceWatcher = (entry: PerformanceResourceTiming) => boolean | void;

/*
 * One PerformanceObserver for every fetch and XHR span. The instrumentations make one per
 * request and keep it until 300 ms after the response: with requests in a row, each entry
 * then runs a hundred callbacks (the XHR one parses its URL in each), which cost more than
 * the rest of the span. Here an entry costs one lookup by initiator type and URL.
 */
const watchers = new Map<string, ResourceWatcher[]>();
let observer: PerformanceObserver | undefined;

/** Watches for entries of `initiatorType` for `url` (absolute); undefined when the browser has no Resource Timing. */
export function watchResource(initiatorType: string, url: string, watcher: ResourceWatcher): (() => void) | undefined {
  try {
    if (!observer) {
      const o = new PerformanceObserver((list) => {
        for (const e of list.getEntries() as PerformanceResourceTiming[]) {
          const ws = watchers.get(e.initiatorType + ' ' + e.name);
          if (ws) for (const w of ws.slice()) if (w(e)) break;
        }
      });
      o.observe({ type: 'resource' });
      observer = o;
    }
  } catch {
    return undefined;
  }
  const key = initiatorType + ' ' + url;
  const ws = watchers.get(key);
  if (ws) ws.push(watcher);
  else watchers.set(key, [watcher]);
  return () => {
    const list = watchers.get(key);
    const i = list ? list.indexOf(watcher) : -1;
    if (i < 0) return;
    if (list!.length === 1) watchers.delete(key);
    else list!.splice(i, 1);
  };
}
