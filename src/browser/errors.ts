import { SpanStatusCode, type Tracer } from '@opentelemetry/api';
import { startAdopted } from './agent/adopt';
import { describeError } from './loader/describeError';
import type { ErrorRecord } from './loader/hub';

/** The same error is recorded at most this often per window… */
const MAX_PER_WINDOW = 3;
const WINDOW_MS = 60_000;
/** …and this many distinct errors are tracked for that (oldest forgotten first). */
const MAX_KEYS = 100;

interface Seen {
  start: number;
  count: number;
  suppressed: number;
}

/**
 * The loader's `error` and `unhandledrejection` records become spans named `exception` with
 * status ERROR and an `exception` event, in the trace they happened in. The same error
 * repeating is recorded at most 3 times a minute; the next record carries
 * `exception.suppressed_count`.
 */
export function adoptErrors(tracer: Tracer, onSuppressed: (n: number) => void): (r: ErrorRecord) => void {
  const seen = new Map<string, Seen>();

  return (r) => {
    const d = describeError(r.r);
    const key = r.k + '|' + d.type + '|' + d.message + '|' + (d.stack ?? '').split('\n', 2)[1];
    let s = seen.get(key);
    if (!s || r.s - s.start > WINDOW_MS) {
      if (!s && seen.size >= MAX_KEYS) seen.delete(seen.keys().next().value as string);
      s = { start: r.s, count: 0, suppressed: s?.suppressed ?? 0 };
      seen.set(key, s);
    }
    if (++s.count > MAX_PER_WINDOW) {
      s.suppressed++;
      onSuppressed(1);
      return;
    }
    const span = startAdopted(tracer, 'exception', { startTime: r.s, attributes: { 'exception.type': d.type, 'tracelet.error.source': r.k } }, r);
    span.addEvent(
      'exception',
      {
        'exception.type': d.type,
        'exception.message': d.message,
        ...(d.stack ? { 'exception.stacktrace': d.stack } : {}),
      },
      r.s,
    );
    if (s.suppressed) {
      span.setAttribute('exception.suppressed_count', s.suppressed);
      s.suppressed = 0;
    }
    span.setStatus({ code: SpanStatusCode.ERROR, message: d.message });
    span.end(r.s);
  };
}
