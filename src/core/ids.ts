import type { IdGenerator } from '@opentelemetry/sdk-trace-base';

/*
 * Ids from the platform's CSPRNG, drawn 4 KiB at a time and written with one fromCharCode
 * per 8 bytes: the SDK's default generator calls Math.random() and concatenates per byte,
 * for every span. Every trace id is random, as the Level 2 `random` flag promises.
 */
const HEX = new Uint8Array(16).map((_, i) => (i < 10 ? 48 : 87) + i);
const pool = new Uint8Array(4096);
let used = pool.length;

/** 16 random hex digits (8 bytes), never all zero. */
function hex8(): string {
  if (used === pool.length) {
    crypto.getRandomValues(pool);
    used = 0;
  }
  const p = pool;
  const i = (used += 8);
  const a = p[i - 8], b = p[i - 7], c = p[i - 6], d = p[i - 5], e = p[i - 4], f = p[i - 3], g = p[i - 2], h = p[i - 1];
  if (!(a | b | c | d | e | f | g | h)) return hex8();
  const x = HEX;
  return String.fromCharCode(x[a >> 4], x[a & 15], x[b >> 4], x[b & 15], x[c >> 4], x[c & 15], x[d >> 4], x[d & 15],
    x[e >> 4], x[e & 15], x[f >> 4], x[f & 15], x[g >> 4], x[g & 15], x[h >> 4], x[h & 15]);
}

/** Random lowercase hex of `bytes` bytes (a multiple of 8), no 8-byte group all zero. */
export function randomHex(bytes: 8 | 16): string {
  return bytes === 8 ? hex8() : hex8() + hex8();
}

/** The SDK's IdGenerator over the pool (browser and edge). */
export const pooledIdGenerator: IdGenerator = {
  generateTraceId: (): string => hex8() + hex8(),
  generateSpanId: hex8,
};

/** Unix time in ms as a nanosecond decimal string. */
export function msToNanos(ms: number): string {
  const whole = Math.floor(ms);
  const frac = Math.round((ms - whole) * 1e6);
  return whole === 0 ? String(frac) : whole + String(frac).padStart(6, '0');
}
