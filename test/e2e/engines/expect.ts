import { expect } from 'vitest';
import type { OtlpReceiver } from '../../support/otlpReceiver';

/**
 * TRACELET_FIXED_BUGS=1 runs the tests of engine bugs not fixed yet (issue 16's bugs 2 and 3,
 * and what else the engines showed): they fail until the fix lands, then the flag goes.
 */
export const FIXED_BUGS = !!process.env.TRACELET_FIXED_BUGS;

/** Browsers cap what a page may have in flight at exit (beacons, keepalive fetches). */
export const KIB64 = 64 * 1024;

/** What the receiver got, one entry a request: method, status, bytes, spans. */
export const summary = (receiver: OtlpReceiver) => receiver.requests.map((r) => `${r.method} ${r.status} ${r.bytes}B ${r.spanCount}`).join(', ');

/** Span names `prefix0…` that never arrived, as ranges ("3-7,9"). */
function missingRanges(got: Set<string>, prefix: string, n: number): string {
  const ranges: string[] = [];
  for (let i = 0; i < n; i++) {
    if (got.has(prefix + i)) continue;
    const last = ranges.at(-1)?.split('-');
    if (last && Number(last.at(-1)) === i - 1) ranges[ranges.length - 1] = `${last[0]}-${i}`;
    else ranges.push(String(i));
  }
  return ranges.join(',');
}

/**
 * Every span `prefix0 … prefix{n-1}` arrived, exactly once (at most `maxTwice` of them twice),
 * in valid OTLP within the exit budget.
 */
export async function expectAllOnce(receiver: OtlpReceiver, prefix: string, n: number, timeout = 20_000, maxTwice = 0): Promise<void> {
  const names = () => receiver.spans.filter((s) => s.name.startsWith(prefix)).map((s) => s.name);
  await receiver.waitForSpans(() => new Set(names()).size >= n, timeout).catch(() => {});
  // A little longer, so duplicates would have time to show.
  await new Promise((r) => setTimeout(r, 300));
  const got = names();
  const missing = missingRanges(new Set(got), prefix, n);
  expect(missing ? `missing ${missing}; requests: ${summary(receiver)}` : 'none missing').toBe('none missing');
  const dup = got.filter((x, i) => got.indexOf(x) !== i);
  // Which page views sent the copies tells an exit resend from a stored batch taken twice.
  const views = dup.length ? receiver.spans.filter((s) => s.name === dup[0]).map((s) => s.resource['page_view.id']).join(' and ') : '';
  expect(dup.length > maxTwice ? `${dup.length} twice, e.g. ${dup[0]} (page views ${views}); requests: ${summary(receiver)}` : 'none twice').toBe('none twice');
  expect(receiver.rejected).toEqual([]);
  for (const r of receiver.requests) expect(r.bytes).toBeLessThanOrEqual(KIB64);
}

/**
 * Waits until the receiver has had no request for `ms` (bounded): a page a test closed may
 * still send its exit batch (vitals, page load), which must not land in the next test.
 */
export async function quiet(receiver: OtlpReceiver, ms = 700, timeout = 6000): Promise<void> {
  const until = Date.now() + timeout;
  let seen = -1;
  while (seen !== receiver.requests.length && Date.now() < until) {
    seen = receiver.requests.length;
    await new Promise((r) => setTimeout(r, ms));
  }
}
