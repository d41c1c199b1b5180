/*
 * A small synchronous gzip (RFC 1952 around RFC 1951 deflate) for the page-exit path, where
 * nothing asynchronous (CompressionStream) can finish and a beacon cannot set
 * Content-Encoding. One block with the fixed Huffman codes (RFC 1951 3.2.6) and LZ77 over a
 * 32 KiB window, found through a hash table with short chains: a dynamic-Huffman encoder
 * would win a little more on OTLP JSON and cost several times the code.
 */

const WINDOW = 32768;
const HASH_BITS = 14;
/** Candidates tried per position: enough for OTLP's repeated keys, cheap on large bodies. */
const MAX_CHAIN = 24;
const MAX_MATCH = 258;

// Built at the first use: literal/length codes (bit-reversed) and their lengths, length and
// distance bases, the CRC table.
let lit: Uint16Array, litLen: Uint8Array, lBase: Uint16Array, dBase: Uint16Array, crcTable: Int32Array | undefined;

/** `n` low bits of `code`, most significant first: Huffman codes are packed MSB-first. */
const reverse = (code: number, n: number) => {
  let r = 0;
  while (n--) {
    r = (r << 1) | (code & 1);
    code >>= 1;
  }
  return r;
};

/** Extra bits of length code `c` (0..28) and distance code `c` (0..29). */
const lExtra = (c: number) => (c < 8 || c > 27 ? 0 : (c >> 2) - 1);
const dExtra = (c: number) => (c < 4 ? 0 : (c >> 1) - 1);

function init(): Int32Array {
  lit = new Uint16Array(288);
  litLen = new Uint8Array(288);
  for (let s = 0; s < 288; s++) {
    // RFC 1951 3.2.6: 0-143 → 8 bits from 0x30, 144-255 → 9 from 0x190, 256-279 → 7 from 0, 280-287 → 8 from 0xC0.
    const len = s < 144 ? 8 : s < 256 ? 9 : s < 280 ? 7 : 8;
    lit[s] = reverse(s < 144 ? s + 0x30 : s < 256 ? s + 0x190 - 144 : s < 280 ? s - 256 : s + 0xc0 - 280, len);
    litLen[s] = len;
  }
  lBase = new Uint16Array(29);
  for (let c = 0, b = 3; c < 29; b += 1 << lExtra(c++)) lBase[c] = c === 28 ? 258 : b;
  dBase = new Uint16Array(30);
  for (let c = 0, b = 1; c < 30; b += 1 << dExtra(c++)) dBase[c] = b;
  crcTable = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    crcTable[n] = c;
  }
  return crcTable;
}

/** CRC-32 (IEEE, as gzip uses it) of `data`. */
export function crc32(data: Uint8Array): number {
  const t = crcTable ?? init();
  let c = -1;
  for (let i = 0; i < data.length; i++) c = t[(c ^ data[i]) & 255] ^ (c >>> 8);
  return ~c >>> 0;
}

/** `data` as a gzip member, synchronously. */
export function gzipSync(data: Uint8Array): Uint8Array<ArrayBuffer> {
  if (!crcTable) init();
  const n = data.length;
  // Fixed codes spend at most 9 bits a byte; plus header, block bits and trailer.
  const out = new Uint8Array(n + (n >> 3) + 32);
  out.set([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255]);
  let pos = 10;
  let bits = 0;
  let count = 0;
  const put = (v: number, k: number) => {
    bits |= v << count;
    count += k;
    while (count >= 8) {
      out[pos++] = bits;
      bits >>>= 8;
      count -= 8;
    }
  };
  const sym = (s: number) => put(lit[s], litLen[s]);
  // One final block (BFINAL=1) with fixed Huffman codes (BTYPE=01).
  put(3, 3);
  // head: last position + 1 for each hash of 3 bytes; prev: the one before it, per window slot.
  const head = new Int32Array(1 << HASH_BITS);
  const prev = new Int32Array(WINDOW);
  const insert = (i: number) => {
    const h = Math.imul(data[i] | (data[i + 1] << 8) | (data[i + 2] << 16), 0x9e3779b1) >>> (32 - HASH_BITS);
    const j = head[h] - 1;
    prev[i & (WINDOW - 1)] = head[h];
    head[h] = i + 1;
    return j;
  };
  for (let i = 0; i < n; ) {
    let len = 0;
    let dist = 0;
    if (i + 2 < n) {
      const max = Math.min(MAX_MATCH, n - i);
      for (let j = insert(i), chain = MAX_CHAIN; j >= 0 && i - j <= WINDOW && chain--; j = prev[j & (WINDOW - 1)] - 1) {
        if (data[j + len] !== data[i + len]) continue;
        let l = 0;
        while (l < max && data[j + l] === data[i + l]) l++;
        if (l > len) {
          len = l;
          dist = i - j;
          if (l === max) break;
        }
      }
    }
    if (len < 3) {
      sym(data[i++]);
      continue;
    }
    let c = 28;
    while (lBase[c] > len) c--;
    sym(257 + c);
    put(len - lBase[c], lExtra(c));
    c = 29;
    while (dBase[c] > dist) c--;
    put(reverse(c, 5), 5);
    put(dist - dBase[c], dExtra(c));
    for (const end = i + len; ++i < end; ) if (i + 2 < n) insert(i);
  }
  sym(256);
  put(0, 7); // flush the last partial byte
  // Trailer: CRC-32 and the length mod 2^32, little-endian.
  for (const v of [crc32(data), n]) for (let k = 0; k < 32; k += 8) out[pos++] = v >>> k;
  return out.subarray(0, pos);
}
