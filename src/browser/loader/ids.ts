/*
 * Ids for the loader: small before fast (core/ids.ts is the agent's fast one). Bytes come from
 * the platform's CSPRNG 4 KiB at a time, not one getRandomValues call per id.
 */
const pool = new Uint8Array(4096);
let used = pool.length;

/** `n` random bytes as lowercase hex. */
export const hex = (n: number): string => {
  let s = '';
  while (n--) {
    if (used == pool.length) {
      crypto.getRandomValues(pool);
      used = 0;
    }
    s += (pool[used++] | 256).toString(16).slice(1);
  }
  return s;
};

const origin = performance.timeOrigin;
/** Unix epoch ms with sub-millisecond precision, on the clock Resource Timing uses. */
export const now = (): number => origin + performance.now();
