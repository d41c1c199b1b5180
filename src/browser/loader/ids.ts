/*
 * Ids for the loader: small before fast (core/ids.ts is the agent's fast one). Bytes come from
 * the platform's CSPRNG 4 KiB at a time, not one getRandomValues call per id. Nothing here
 * runs until the first id is needed: each Web API's first use in a page costs about a
 * millisecond (its bindings are made then), and before the load event that is the page's.
 */
let pool: Uint8Array<ArrayBuffer> | undefined;
let used = 0;

/** `n` random bytes as lowercase hex. */
export const hex = (n: number): string => {
  let s = '';
  while (n--) {
    if (!pool || used == pool.length) {
      crypto.getRandomValues((pool ??= new Uint8Array(4096)));
      used = 0;
    }
    s += (pool[used++] | 256).toString(16).slice(1);
  }
  return s;
};

let origin: number | undefined;
/** Unix epoch ms with sub-millisecond precision, on the clock Resource Timing uses. */
export const now = (): number => (origin ??= performance.timeOrigin) + performance.now();
