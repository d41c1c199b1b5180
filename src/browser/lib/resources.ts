/** Gets the Resource Timing entries of one initiator type and URL; true takes the entry from later watchers. */
export type ResourceWatcher = (entry: PerformanceResourceTiming) => boolean | void;

// One observer for all: the instrumentations' one per request (kept 300 ms past the
// response) made each entry run dozens of callbacks.
const watchers = new Map<string, Set<ResourceWatcher>>();
let observer: PerformanceObserver | undefined;

/** Watches until the returned stop; undefined without Resource Timing. */
export function watchResource(initiatorType: string, url: string, watcher: ResourceWatcher): (() => void) | undefined {
  try {
    if (!observer) {
      const o = new PerformanceObserver((list) => {
        for (const e of list.getEntries() as PerformanceResourceTiming[]) {
          for (const w of watchers.get(e.initiatorType + ' ' + e.name) ?? []) if (w(e)) break;
        }
      });
      o.observe({ type: 'resource' });
      observer = o;
    }
  } catch {
    return undefined;
  }
  const key = initiatorType + ' ' + url;
  const set = watchers.get(key) ?? new Set();
  watchers.set(key, set.add(watcher));
  return () => {
    set.delete(watcher);
    if (!set.size && watchers.get(key) === set) watchers.delete(key);
  };
}
