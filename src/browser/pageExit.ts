import type { Batch, ExportPipeline } from '../core/pipeline';
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
  // What an exit took from the pipeline and has neither handed to the browser nor stored.
  // Firefox stops a closing tab's running script: a `pagehide` handler cut short while it
  // encodes or gzips (4 closes in 25 on a loaded machine) leaves these to the
  // `visibilitychange` that comes next, instead of losing them.
  const taken: Batch[] = [];
  const kept: Batch[] = [];
  const exit = () => {
    // An export still being gzipped, or going by plain fetch, dies with the page: its spans go now.
    const doomed = transport.leaving && transport.unprotected ? pipeline.takeInFlight() : undefined;
    if (doomed) taken.unshift(doomed);
    pipeline.drain(taken);
    const guess = transport.leaving && transport.guessing();
    // The last batch is the likeliest part of what would go gzipped: its ratio is measured.
    let plain = guess && taken.length ? transport.plainRoomBeside(taken.reduce((n, b) => n + utf8Length(b.body), 0), taken[taken.length - 1].body) : Infinity;
    while (taken.length) {
      const [now, later] = pipeline.cut(taken[0], Math.min(plain, transport.exitRoom()));
      if (now && transport.sendAtExit(now.body)) {
        // What did not fit goes round again, and is kept when the room is gone.
        if (later) taken[0] = later;
        else taken.shift();
        pipeline.settleExternal(now, { kind: 'ok' });
        plain -= utf8Length(now.body);
      } else kept.push(taken.shift()!);
    }
    if (!kept.length) return;
    if (!transport.leaving) return pipeline.requeue(kept.splice(0));
    // Each gzipped send corrects the compression ratio the next cut is estimated with; a
    // cut the browser refused (the estimate was short) is halved until one fits or none does.
    let room = transport.exitRoom(true);
    for (let i = 0; guess && i < kept.length; ) {
      const [now, later] = pipeline.cut(kept[i], room);
      if (!now) {
        i++;
        room = transport.exitRoom(true);
      } else if (!transport.sendAtExit(now.body, true)) room = Math.floor(utf8Length(now.body) / 2);
      else {
        if (later) kept[i] = later;
        else kept.splice(i, 1);
        guessed.save(now.items);
        room = transport.exitRoom(true);
      }
    }
    store.save(kept.flatMap((b) => b.items));
    kept.length = 0;
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
