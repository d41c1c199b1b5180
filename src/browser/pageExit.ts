import type { Batch, EncodedSpan, ExportPipeline } from '../core/pipeline';
import { utf8Length } from '../core/otlp';
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
 * - cross-origin, before the collector ever answered a gzipped export, what plain JSON
 *   cannot fit leaves gzipped on a guess (its CORS may refuse Content-Encoding), with a copy
 *   stored apart: a later page view drops the copy once gzip is known to pass, and sends it
 *   once gzip is known to be refused (the guessed request then never left the browser).
 * - a bfcache restore takes back what it stored; the next page view takes it when idle, or
 *   as it lands (Chromium runs the old page's pagehide concurrently with the new page).
 */
export function watchPageExit(pipeline: ExportPipeline, transport: BrowserTransport, storeKey: string, beforeExit: () => void): () => void {
  const store = new UnloadStore(storeKey, pipeline.drops);
  const guessed = new UnloadStore(storeKey + ':gz', pipeline.drops);
  let live = true;
  const exit = () => {
    const kept: Batch[] = [];
    // An export still being gzipped, or going by plain fetch, dies with the page: its spans go now.
    const doomed = transport.leaving && transport.unprotected ? pipeline.takeInFlight() : undefined;
    const batches = doomed ? [doomed, ...pipeline.drain()] : pipeline.drain();
    const guess = transport.leaving && transport.guessing();
    // The last batch is the likeliest part of what would go gzipped: its ratio is measured.
    let plain = guess && batches.length ? transport.plainRoomBeside(batches.reduce((n, b) => n + utf8Length(b.body), 0), batches[batches.length - 1].body) : Infinity;
    for (const batch of batches) {
      const [now, later] = pipeline.cut(batch, Math.min(plain, transport.exitRoom()));
      if (now && transport.sendAtExit(now.body)) {
        pipeline.settleExternal(now, { kind: 'ok' });
        plain -= utf8Length(now.body);
      } else if (now) kept.push(now);
      if (later) kept.push(later);
    }
    if (!kept.length) return;
    if (!transport.leaving) return pipeline.requeue(kept);
    const rest: EncodedSpan[] = [];
    for (const whole of kept) {
      let batch: Batch | undefined = whole;
      // Each gzipped send corrects the compression ratio the next cut is estimated with; a
      // cut the browser refused (the estimate was short) is halved until one fits or none does.
      let room = transport.exitRoom(true);
      while (guess && batch) {
        const [now, later] = pipeline.cut(batch, room);
        if (!now) break;
        if (!transport.sendAtExit(now.body, true)) {
          room = Math.floor(utf8Length(now.body) / 2);
          continue;
        }
        guessed.save(now.items);
        batch = later;
        room = transport.exitRoom(true);
      }
      if (batch) rest.push(...batch.items);
    }
    store.save(rest);
  };
  /** Copies of what an exit sent on a guess: dropped once gzip is known to pass, else sent. */
  const settleGuesses = () =>
    transport.whenKnown((gzip) => {
      const copies = live ? guessed.take() : [];
      if (gzip === 'no') pipeline.requeueItems(copies);
    });
  // Spans an earlier page view could not send at its exit go first, once the page is idle:
  // the first localStorage read of a page costs milliseconds.
  whenIdle(() => {
    if (!live) return;
    pipeline.requeueItems(store.take());
    settleGuesses();
  });
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
