import { describe, expect, it } from 'vitest';
import { crc32 as zlibCrc32, gunzipSync, gzipSync as zlibGzip } from 'node:zlib';
import { crc32, gzipSync } from '../../src/core/gzipSync';

/** A seeded generator, so a failure can be replayed. */
function rng(seed: number) {
  return () => {
    seed = (Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) | 0;
    return ((seed ^ (seed >>> 13)) >>> 0) / 2 ** 32;
  };
}

const roundTrip = (data: Uint8Array) => {
  const gz = gzipSync(data);
  expect(Buffer.from(gunzipSync(gz)).equals(Buffer.from(data))).toBe(true);
  return gz;
};

/** An OTLP/JSON body of `n` fetch spans, shaped like what the agent sends. */
export function otlpBody(n: number, random = rng(7)): string {
  const hex = (k: number) => Array.from({ length: k }, () => '0123456789abcdef'[Math.floor(random() * 16)]).join('');
  const t0 = 1796534243789000000n;
  const spans = Array.from({ length: n }, (_, i) => {
    const start = t0 + BigInt(i) * 12_345_600n;
    return `{"traceId":"${hex(32)}","spanId":"${hex(16)}","name":"GET","kind":3,"startTimeUnixNano":"${start}","endTimeUnixNano":"${start + 9_100_000n}",` +
      `"attributes":[{"key":"http.request.method","value":{"stringValue":"GET"}},{"key":"url.full","value":{"stringValue":"https://shop.example.com/api/cart/items?page=${i}"}},` +
      `{"key":"http.response.status_code","value":{"intValue":"200"}},{"key":"server.address","value":{"stringValue":"shop.example.com"}},{"key":"server.port","value":{"intValue":"443"}}],` +
      `"events":[{"timeUnixNano":"${start + 2_600_000n}","name":"requestStart"},{"timeUnixNano":"${start + 6_500_000n}","name":"responseStart"}]}`;
  });
  return `{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"shop-web"}}]},"scopeSpans":[{"scope":{"name":"tracelet"},"spans":[${spans.join(',')}]}]}]}`;
}

describe('gzipSync', () => {
  it('gunzips (node:zlib) to the input: empty, tiny, random, repetitive, large', () => {
    const r = rng(1);
    roundTrip(new Uint8Array(0));
    roundTrip(new Uint8Array([0]));
    roundTrip(new Uint8Array([1, 2]));
    roundTrip(new Uint8Array(1000).fill(97));
    for (const size of [3, 17, 300, 4096, 70_000]) {
      roundTrip(Uint8Array.from({ length: size }, () => Math.floor(r() * 256)));
      // Few symbols: long and overlapping matches, every length and distance code.
      roundTrip(Uint8Array.from({ length: size }, () => 97 + Math.floor(r() * 3)));
    }
    // Past the 32 KiB window: matches must never reach further back.
    const block = Uint8Array.from({ length: 40_000 }, () => Math.floor(r() * 256));
    const twice = new Uint8Array(80_000);
    twice.set(block);
    twice.set(block, 40_000);
    roundTrip(twice);
    // Large: 1 MiB of mixed text.
    const words = ['span', 'trace', '{"key":', '"value":', '1796534243', 'GET', ' ', ','];
    roundTrip(new TextEncoder().encode(Array.from({ length: 200_000 }, () => words[Math.floor(r() * words.length)]).join('')));
  });

  it('round-trips many random inputs of random shapes', () => {
    const r = rng(42);
    for (let k = 0; k < 200; k++) {
      const size = Math.floor(r() * 3000);
      const alphabet = 1 + Math.floor(r() * 255);
      roundTrip(Uint8Array.from({ length: size }, () => Math.floor(r() * alphabet)));
    }
  });

  it('compresses OTLP JSON to a fraction of its size (and within 1.5x of zlib -6)', () => {
    for (const n of [1, 20, 200]) {
      const data = new TextEncoder().encode(otlpBody(n));
      const gz = roundTrip(data);
      const zlib = zlibGzip(data).length;
      expect(gz.length).toBeLessThan(data.length / (n === 1 ? 1.5 : 3));
      expect(gz.length).toBeLessThan(zlib * 1.5);
    }
  });

  it('never outgrows its worst case on incompressible input', () => {
    const r = rng(3);
    const data = Uint8Array.from({ length: 100_000 }, () => Math.floor(r() * 256));
    expect(roundTrip(data).length).toBeLessThanOrEqual(data.length + (data.length >> 3) + 32);
  });

  it('crc32 agrees with zlib', () => {
    const r = rng(5);
    for (const size of [0, 1, 1000]) {
      const d = Uint8Array.from({ length: size }, () => Math.floor(r() * 256));
      expect(crc32(d)).toBe(zlibCrc32(d));
    }
  });
});
