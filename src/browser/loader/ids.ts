/** `n` random bytes as lowercase hex, from the platform's CSPRNG. */
export const hex = (n: number): string =>
  Array.from(crypto.getRandomValues(new Uint8Array(n)), (b) => (b | 256).toString(16).slice(1)).join('');

/** Unix epoch ms with sub-millisecond precision, on the clock Resource Timing uses. */
export const now = (): number => performance.timeOrigin + performance.now();
