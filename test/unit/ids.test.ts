import { describe, expect, it } from 'vitest';
import { msToNanos, pooledIdGenerator, randomHex } from '../../src/core/ids';

describe('randomHex', () => {
  it('gives lowercase hex of the asked length, distinct across many pool refills', () => {
    const seen = new Set<string>();
    // 20,000 span ids and trace ids: dozens of 4 KiB pool refills.
    for (let i = 0; i < 10_000; i++) {
      for (const bytes of [8, 16] as const) {
        const id = randomHex(bytes);
        expect(id).toMatch(bytes === 8 ? /^[0-9a-f]{16}$/ : /^[0-9a-f]{32}$/);
        seen.add(id);
      }
    }
    expect(seen.size).toBe(20_000);
  });

  it('uses every hex digit in every position (no stuck nibble from the lookup table)', () => {
    const digits = Array.from({ length: 32 }, () => new Set<string>());
    for (let i = 0; i < 2_000; i++) [...randomHex(16)].forEach((c, j) => digits[j].add(c));
    for (const d of digits) expect(d.size).toBe(16);
  });
});

describe('pooledIdGenerator', () => {
  it('gives valid W3C ids: 32 / 16 lowercase hex, never all zero', () => {
    for (let i = 0; i < 5_000; i++) {
      expect(pooledIdGenerator.generateTraceId()).toMatch(/^(?!0{32})[0-9a-f]{32}$/);
      expect(pooledIdGenerator.generateSpanId()).toMatch(/^(?!0{16})[0-9a-f]{16}$/);
    }
  });
});

describe('msToNanos', () => {
  it('writes ms as a decimal nanosecond string', () => {
    expect(msToNanos(1_700_000_000_123.5)).toBe('1700000000123500000');
    expect(msToNanos(0.5)).toBe('500000');
  });
});
