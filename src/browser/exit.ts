import type { Batch, ExportPipeline } from '../core/pipeline';
import type { UnloadStore } from './lib/unloadStore';
import type { BrowserTransport } from './transport';

/**
 * Sends everything waiting, now, through the exit transport. What the browser will not
 * take stays queued while the page lives on (`leaving` false), or goes to the store
 * when the page is going away.
 */
export function flushAtExit(pipeline: ExportPipeline, transport: BrowserTransport, store: UnloadStore, leaving: boolean): void {
  const kept: Batch[] = [];
  for (const batch of pipeline.drain()) {
    // Near the end of the browser's budget, the spans that still fit leave and the rest stay.
    const [now, later] = pipeline.cut(batch, transport.exitRoom());
    if (now && transport.sendAtExit(now.body)) pipeline.settleExternal(now, { kind: 'ok' });
    else if (now) kept.push(now);
    if (later) kept.push(later);
  }
  if (!kept.length) return;
  if (leaving) store.save(kept.flatMap((b) => b.items));
  else pipeline.requeue(kept);
}
