const HEX = Array.from({ length: 256 }, (_, i) => (i < 16 ? '0' : '') + i.toString(16));
/** Random bytes are drawn 1 KiB at a time: one CSPRNG call serves about 40 span ids. */
const POOL_BYTES = 1024;
let pool: Uint8Array<ArrayBuffer> | undefined;
let used = POOL_BYTES;

/** Random lowercase hex of `bytes` (at most 1024) bytes from the platform's CSPRNG. */
export function randomHex(bytes: number): string {
  if (used + bytes > POOL_BYTES) {
    crypto.getRandomValues((pool ??= new Uint8Array(POOL_BYTES)));
    used = 0;
  }
  let s = '';
  for (const end = used + bytes; used < end; used++) s += HEX[pool![used]];
  return s;
}

/** Unix time in ms as a nanosecond decimal string. */
export function msToNanos(ms: number): string {
  const whole = Math.floor(ms);
  const frac = Math.round((ms - whole) * 1e6);
  return whole === 0 ? String(frac) : whole + String(frac).padStart(6, '0');
}
