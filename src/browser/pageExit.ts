import type { Batch, ExportPipeline } from '../core/pipeline';
import { listen } from './lib/listen';
import { onHidden } from './lib/onHidden';
import { UnloadStore } from './lib/unloadStore';
import { whenIdle } from './lib/whenIdle';
import type { BrowserTransport } from './transport';

/**
 * The one owner of the page-exit path once the agent runs (before it, the loader's
 * loader/exit.ts): what leaves when the page is hidden or left, what is stored for the
 * next page view, and taking stored spans back.
 *
 * - hidden or left: everything waiting goes now through the exit transport (beacon, else
 *   keepalive fetch) inside the browser's 64 KiB budget; near its end a batch is cut and
 *   the spans that fit leave.
 * - from `pagehide` on (left, or frozen in the bfcache) what the browser will not take goes
 *   to localStorage; while the page is only hidden it stays queued.
 * - a bfcache restore takes back what it stored; the next page view takes it when idle, or
 *   as it lands (Chromium runs the old page's pagehide concurrently with the new page).
 */
export function watchPageExit(pipeline: ExportPipeline, transport: BrowserTransport, storeKey: string, beforeExit: () => void): () => void {
  const store = new UnloadStore(storeKey, pipeline.drops);
  let live = true;
  const exit = () => {
    const kept: Batch[] = [];
    // An export still being gzipped, or going by plain fetch, dies with the page: its spans go now.
    const doomed = transport.leaving && transport.unprotected ? pipeline.takeInFlight() : undefined;
    for (const batch of doomed ? [doomed, ...pipeline.drain()] : pipeline.drain()) {
      const [now, later] = pipeline.cut(batch, transport.exitRoom());
      if (now && transport.sendAtExit(now.body)) pipeline.settleExternal(now, { kind: 'ok' });
      else if (now) kept.push(now);
      if (later) kept.push(later);
    }
    if (!kept.length) return;
    if (transport.leaving) store.save(kept.flatMap((b) => b.items));
    else pipeline.requeue(kept);
  };
  // Spans an earlier page view could not send at its exit go first, once the page is idle:
  // the first localStorage read of a page costs milliseconds.
  whenIdle(() => live && pipeline.requeueItems(store.take()));
  const stops = [
    onHidden((e) => {
      if (e.type === 'pagehide') transport.leave();
      beforeExit();
      exit();
    }),
    listen('pageshow', (e) => {
      if (!e.persisted) return;
      transport.restored();
      pipeline.requeueItems(store.take());
    }),
    listen('storage', (e) => e.key === store.key && e.newValue && pipeline.requeueItems(store.take())),
  ];
  return () => {
    live = false;
    stops.forEach((s) => s());
  };
}
