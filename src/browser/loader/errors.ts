import { listen } from '../lib/listen';
import type { Hub } from './hub';
import { now } from './ids';
import { emit, idsNow } from './records';

/** `error` (with its Error, so the stack) and `unhandledrejection` on window, in the trace they happened in. */
export function captureErrors(h: Hub): () => void {
  const stops = [
    listen('error', (e) => {
      // Resource load errors (img, script) arrive here without an Error: they are not exceptions.
      if (e instanceof ErrorEvent) emit(h, { k: 'error', s: now(), r: e.error ?? e.message, ...idsNow(h) });
    }),
    listen('unhandledrejection', (e) => emit(h, { k: 'unhandledrejection', s: now(), r: e.reason, ...idsNow(h) })),
  ];
  return () => stops.forEach((s) => s());
}
