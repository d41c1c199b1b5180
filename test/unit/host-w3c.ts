/*
 * Shared by the malformed-input fuzz tests (browser reader, Chromium pages, edge wrappers):
 * an oracle written from the W3C Trace Context grammar, independent of src/core/propagation.ts,
 * and seeded generators of traceparent / tracestate values.
 */

// ---------------------------------------------------------------- oracle (W3C Trace Context Level 2)

/** OWS is SP / HTAB only. */
export const owsTrim = (s: string) => s.replace(/^[ \t]+|[ \t]+$/g, '');

/** Longest traceparent / tracestate header tracelet reads (an implementation limit; W3C sets none for input). */
export const MAX_TP = 4096;
export const MAX_TS = 8192;

export function oracleTraceparent(raw: string): { traceId: string; spanId: string; sampled: boolean } | undefined {
  if (raw.length > MAX_TP) return undefined;
  const v = owsTrim(raw);
  const m = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(.*)$/s.exec(v);
  if (!m) return undefined;
  const [, version, traceId, spanId, flags, rest] = m;
  if (version === 'ff') return undefined;
  if (version === '00' && rest !== '') return undefined;
  if (version !== '00' && rest !== '' && !rest.startsWith('-')) return undefined;
  if (/^0+$/.test(traceId) || /^0+$/.test(spanId)) return undefined;
  return { traceId, spanId, sampled: (parseInt(flags, 16) & 1) === 1 };
}

/** Outgoing: exactly version 00, lowercase, non-zero ids, only the sampled and random bits. */
export const STRICT_OUT = /^00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-0[0-3]$/;

const KEY = /^[a-z0-9][a-z0-9_\-*/@]{0,255}$/;
const isChr = (c: number) => c === 0x20 || isNblk(c);
const isNblk = (c: number) => (c >= 0x21 && c <= 0x2b) || (c >= 0x2d && c <= 0x3c) || (c >= 0x3e && c <= 0x7e);

function oracleValue(v: string): boolean {
  if (v.length < 1 || v.length > 256) return false;
  for (let i = 0; i < v.length; i++) if (!isChr(v.charCodeAt(i))) return false;
  return isNblk(v.charCodeAt(v.length - 1));
}

/** The members of a valid tracestate (empty list members skipped), else undefined. */
export function oracleTracestate(raw: string): [string, string][] | undefined {
  if (raw.length > MAX_TS) return undefined;
  const members: [string, string][] = [];
  let count = 0;
  for (const part of raw.split(',')) {
    const m = owsTrim(part);
    if (m === '') continue;
    const eq = m.indexOf('=');
    if (eq < 1) return undefined;
    const key = m.slice(0, eq);
    const value = m.slice(eq + 1);
    if (!KEY.test(key) || !oracleValue(value)) return undefined;
    count++;
    // W3C suite, test_tracestate_duplicated_keys: a duplicated key keeps its first member.
    if (!members.some(([k]) => k === key)) members.push([key, value]);
  }
  return members.length && count <= 32 ? members : undefined;
}

export function strictOutgoingTracestate(v: string): boolean {
  const members = oracleTracestate(v);
  // Outgoing: no empty members, no padding, valid members only.
  return members !== undefined && members.map(([k, x]) => `${k}=${x}`).join(',') === v;
}

// ---------------------------------------------------------------- generators (seeded)

export function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
let rand = rng(8);
/** Restarts the generators' sequence: the same seed gives the same values. */
export function seed(n: number): void {
  rand = rng(n);
}
const int = (n: number) => Math.floor(rand() * n);
const pick = <T>(a: readonly T[]): T => a[int(a.length)];
export const hex = (n: number) => Array.from({ length: n }, () => '0123456789abcdef'[int(16)]).join('');
const fromPool = (pool: string, n: number) => Array.from({ length: n }, () => pool[int(pool.length)]).join('');

export const validTp = () => `00-${hex(32)}-${hex(16)}-${hex(2)}`;
const futureTp = () => `${pick(['01', '02', '7f', 'fe', 'cc'])}-${hex(32)}-${hex(16)}-${hex(2)}${pick(['', '-', '-x', '-' + hex(8), '-anything at all'])}`;

const UNICODE = ['０', '٠', 'ａ', 'é', '\u00a0', '\u2028', '\ufeff', '\u200b', '😀', '\ud800', '\udfff', '中', 'ß', 'İ', 'ﬀ'];
const MUTATIONS: ((v: string) => string)[] = [
  (v) => v.toUpperCase(),
  (v) => v.replace(/[a-f]/, (c) => c.toUpperCase()),
  (v) => v.slice(0, -1),
  (v) => v + pick(['0', '-', ' x', '-00', '\n', ',', '-01']),
  (v) => v.slice(1),
  (v) => v.replace('-', pick(['_', '.', '', '--', ' - ', '—'])),
  (v) => v.replace(/-[0-9a-f]{32}-/, `-${'0'.repeat(32)}-`),
  (v) => v.replace(/-[0-9a-f]{16}-/, `-${'0'.repeat(16)}-`),
  (v) => 'ff' + v.slice(2),
  (v) => pick(['  ', '\t', ' \t ', '\r\n', '\n', '\u00a0', '\ufeff', '\u3000']) + v + pick(['', ' ', '\t', '\n', '\u00a0']),
  (v) => v.replace(/.$/, pick(['x', 'g', 'Z', '\u0000'])),
  (v) => {
    const i = int(v.length);
    return v.slice(0, i) + pick(UNICODE) + v.slice(i + 1);
  },
  (v) => {
    const i = int(v.length);
    return v.slice(0, i) + v.slice(i + 1);
  },
  (v) => v.replace(/^00/, pick(['0', '000', '0x', 'g0', '00 '])),
  (v) => `${v},${v}`,
  (v) => `${v}, ${validTp()}`,
  (v) => v.split('-').reverse().join('-'),
  (v) => `"${v}"`,
  (v) => v.replace(/-(..)$/, `-${pick(['0', '000', '1', 'zz', '-1'])}`),
];

function garbage(): string {
  const pools = [
    '0123456789abcdef-',
    '0123456789abcdefABCDEF-_ ,;=',
    ' !"#$%&\'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~',
    '\u0000\u0001\u0007\b\t\n\u000b\f\r\u001b\u007f',
    UNICODE.join(''),
  ];
  return fromPool(pick(pools), int(120));
}

function huge(): string {
  return pick([
    () => validTp().repeat(1 + int(2000)),
    () => 'a'.repeat(4096 + int(100_000)),
    () => '00-' + hex(32).repeat(50) + '-' + hex(16) + '-01',
    () => Array.from({ length: 500 }, validTp).join(','),
    () => ' '.repeat(100_000) + validTp(),
    () => '😀'.repeat(30_000),
  ])();
}

export function traceparents(n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const kind = i % 10;
    if (kind < 2) out.push(validTp());
    else if (kind === 2) out.push(futureTp());
    else if (kind < 7) {
      let v = rand() < 0.8 ? validTp() : futureTp();
      for (let k = 1 + int(2); k > 0; k--) v = pick(MUTATIONS)(v);
      out.push(v);
    } else if (kind < 9) out.push(garbage());
    else out.push(i % 50 === 9 ? huge() : pick(['', ' ', '-', '00', '00-', 'null', 'undefined', '[object Object]', validTp().slice(0, 54)]));
  }
  return out;
}

const member = () => `${pick(['a', 'vendor', 'x1', '0tenant@sys', 'rojo', 'congo', 'k_-*/'])}${int(1000)}=${fromPool('abcXYZ012 !#$%&\'()*+-./:;<>?@[]^_`{|}~', 1 + int(20)).replace(/ +$/, '') || 'v'}`;

export function tracestates(n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const kind = i % 8;
    if (kind < 3) out.push(Array.from({ length: 1 + int(32) }, member).join(pick([',', ', ', ' , ', ',\t'])));
    else if (kind === 3) out.push(Array.from({ length: 33 + int(10) }, member).join(','));
    else if (kind === 4) {
      const base = Array.from({ length: 1 + int(5) }, member);
      const bad = pick(['Upper=1', 'a=', '=v', 'a=b=c', 'a=trailing ', 'ä=1', 'a=\u00e9', 'a'.repeat(257) + '=1', 'k=' + 'v'.repeat(257), base[0], 'a b=1', ',,', ' ']);
      base.splice(int(base.length + 1), 0, bad);
      out.push(base.join(','));
    } else if (kind === 5) out.push(garbage());
    else if (kind === 6) out.push(i % 40 === 6 ? huge() : member().repeat(1 + int(50)));
    else out.push(pick(['', ' ', ',', 'a=1', 'a=1,a=2', 'a=1, b=2 ,c=3', `${member()},${member()}`]));
  }
  return out;
}


// ---------------------------------------------------------------- B3 and Jaeger (seeded)

const b3Trace = () => (rand() < 0.5 ? hex(16) : hex(32));
/** A valid `b3` single header value. */
export const validB3 = () => `${b3Trace()}-${hex(16)}${pick(['', '-1', '-0', '-d', `-1-${hex(16)}`, `-0-${hex(16)}`])}`;
/** A valid `uber-trace-id` value (ids may be short: Jaeger drops leading zeros). */
export const validJaeger = () =>
  `${hex(1 + int(32))}:${hex(1 + int(16))}:${pick(['0', hex(16)])}:${pick(['1', '0', '01', '00', '3', '2'])}`.replace(/:/g, () => (rand() < 0.1 ? '%3A' : ':'));

function mutated(valid: () => string, n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const kind = i % 10;
    if (kind < 3) out.push(valid());
    else if (kind < 8) {
      let v = valid();
      for (let k = 1 + int(2); k > 0; k--) v = pick(MUTATIONS)(v);
      out.push(v);
    } else if (kind === 8) out.push(garbage());
    else out.push(i % 50 === 9 ? huge() : pick(['', ' ', '0', '1', 'd', '-', ':', ':::', '0:0:0:0', 'null']));
  }
  return out;
}

/** `b3` header values: valid, mutated, garbage, huge. */
export const b3Singles = (n: number) => mutated(validB3, n);
/** `uber-trace-id` header values: valid, mutated, garbage, huge. */
export const uberTraceIds = (n: number) => mutated(validJaeger, n);
