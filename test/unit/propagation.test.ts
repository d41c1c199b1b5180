import { describe, expect, it } from 'vitest';
import {
  ROOT_CONTEXT,
  createContextKey,
  defaultTextMapGetter,
  defaultTextMapSetter,
  trace,
  type Context,
  type Sampler,
} from '@opentelemetry/api';
import {
  AlwaysOnSampler,
  BasicTracerProvider,
  ParentBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import {
  W3CPropagator,
  W3CTraceState,
  extractInto,
  formatTraceparent,
  parseTraceparent,
  parseTracestate,
} from '../../src/core/propagation';
import { ParentOrRootSampler } from '../../src/core/sampler';
import { traceparentFromServerTiming } from '../../src/core/serverTiming';

const TID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SID = '00f067aa0ba902b7';
const tp = (flags = '01', version = '00', tid = TID, sid = SID) => `${version}-${tid}-${sid}-${flags}`;

describe('parseTraceparent', () => {
  it('parses a valid version 00 value', () => {
    expect(tp()).toHaveLength(55);
    expect(parseTraceparent(tp())).toEqual({ traceId: TID, spanId: SID, flags: 1 });
    expect(parseTraceparent(tp('00'))).toEqual({ traceId: TID, spanId: SID, flags: 0 });
    // Surrounding blanks are tolerated.
    expect(parseTraceparent(' ' + tp() + '\t')).toEqual({ traceId: TID, spanId: SID, flags: 1 });
  });

  it('rejects a version 00 value that is not exactly 55 characters', () => {
    expect(parseTraceparent(tp().slice(0, 54))).toBeUndefined();
    expect(parseTraceparent(tp() + '0')).toBeUndefined();
    expect(parseTraceparent(tp() + '-')).toBeUndefined();
    expect(parseTraceparent(tp() + '-extra')).toBeUndefined();
    expect(parseTraceparent(`00-${TID}0-${SID}-01`.slice(0, 55))).toBeUndefined();
  });

  it('rejects uppercase or non-hex fields and misplaced dashes', () => {
    expect(parseTraceparent(tp('01', '00', TID.toUpperCase()))).toBeUndefined();
    expect(parseTraceparent(tp('01', '00', TID, SID.toUpperCase()))).toBeUndefined();
    expect(parseTraceparent(tp('0A'))).toBeUndefined();
    expect(parseTraceparent(tp('0g'))).toBeUndefined();
    expect(parseTraceparent(tp('01', 'A0'))).toBeUndefined();
    expect(parseTraceparent(tp('01', '00', 'g' + TID.slice(1)))).toBeUndefined();
    expect(parseTraceparent(tp().replace(/-/g, '_'))).toBeUndefined();
    expect(parseTraceparent(`00-${TID.slice(0, 31)}-${SID}0-01`)).toBeUndefined();
  });

  it('rejects all-zero trace or span ids', () => {
    expect(parseTraceparent(tp('01', '00', '0'.repeat(32)))).toBeUndefined();
    expect(parseTraceparent(tp('01', '00', TID, '0'.repeat(16)))).toBeUndefined();
  });

  it('rejects version ff', () => {
    expect(parseTraceparent(tp('01', 'ff'))).toBeUndefined();
  });

  it('accepts a future version with extra fields, trusting only the sampled bit', () => {
    expect(parseTraceparent(tp('01', 'cc') + '-what-the-future-will-be-like')).toEqual({ traceId: TID, spanId: SID, flags: 1 });
    expect(parseTraceparent(tp('03', 'cc') + '-what-the-future-will-be-like')).toEqual({ traceId: TID, spanId: SID, flags: 1 });
    expect(parseTraceparent(tp('02', 'cc'))).toEqual({ traceId: TID, spanId: SID, flags: 0 });
    expect(parseTraceparent(tp('ff', '01'))).toEqual({ traceId: TID, spanId: SID, flags: 1 });
  });

  it('rejects a future version whose 56th character is not a dash', () => {
    expect(parseTraceparent(tp('01', 'cc') + 'x-more')).toBeUndefined();
    expect(parseTraceparent(tp('01', 'cc') + '0')).toBeUndefined();
  });

  it('keeps sampled and random flags of version 00 and clears unknown bits', () => {
    expect(parseTraceparent(tp('01'))!.flags).toBe(0x01);
    expect(parseTraceparent(tp('02'))!.flags).toBe(0x02);
    expect(parseTraceparent(tp('03'))!.flags).toBe(0x03);
    expect(parseTraceparent(tp('09'))!.flags).toBe(0x01);
    expect(parseTraceparent(tp('fc'))!.flags).toBe(0x00);
    expect(parseTraceparent(tp('ff'))!.flags).toBe(0x03);
  });

  it('never throws on garbage', () => {
    for (const v of [undefined, null, 0, 42, {}, [], [tp()], () => tp(), Symbol('x'), 'x'.repeat(10_000), tp() + ' '.repeat(5000), '\u0000'.repeat(55)]) {
      expect(() => parseTraceparent(v)).not.toThrow();
      expect(parseTraceparent(v)).toBeUndefined();
    }
  });
});

describe('formatTraceparent', () => {
  it('formats version 00 with only the known flags', () => {
    expect(formatTraceparent(TID, SID, 1)).toBe(tp('01'));
    expect(formatTraceparent(TID, SID, 0)).toBe(tp('00'));
    expect(formatTraceparent(TID, SID, 3)).toBe(tp('03'));
    expect(formatTraceparent(TID, SID, 0xff)).toBe(tp('03'));
    expect(parseTraceparent(formatTraceparent(TID, SID, 2))).toEqual({ traceId: TID, spanId: SID, flags: 2 });
  });
});

describe('parseTracestate', () => {
  it('parses valid members in order', () => {
    const ts = parseTracestate('congo=t61rcWkgMzE,rojo=00f067aa0ba902b7,t@vendor=x y');
    expect(ts).toBeInstanceOf(W3CTraceState);
    expect(ts!.get('congo')).toBe('t61rcWkgMzE');
    expect(ts!.get('rojo')).toBe('00f067aa0ba902b7');
    expect(ts!.get('t@vendor')).toBe('x y');
    expect(ts!.serialize()).toBe('congo=t61rcWkgMzE,rojo=00f067aa0ba902b7,t@vendor=x y');
  });

  it('allows optional white space around members and skips empty members', () => {
    const ts = parseTracestate(' \ta=1 ,\t b=2\t,, ,c=3 , ');
    expect(ts!.serialize()).toBe('a=1,b=2,c=3');
    expect(parseTracestate('')).toBeUndefined();
    expect(parseTracestate(' , ,')).toBeUndefined();
  });

  it('accepts keys per the current grammar: digit start, @ anywhere, * / _ -', () => {
    for (const key of ['0abc', '9', 'a', 'a@b', 'a@b@c', 'z@', 'a@', 'tenant@sys', 'a_b-c*d/e', 'a'.repeat(256), '1'.repeat(256)]) {
      expect(parseTracestate(`${key}=v`)?.get(key), key).toBe('v');
    }
  });

  it('drops the whole header for a bad key', () => {
    for (const key of ['Abc', 'aBc', '_abc', '-abc', '@abc', '*a', '/a', 'a.b', 'a b', 'a'.repeat(257), 'ä', '']) {
      expect(parseTracestate(`ok=1,${key}=v,other=2`), JSON.stringify(key)).toBeUndefined();
    }
  });

  it('drops the whole header for a bad value', () => {
    for (const member of ['a=b=c', 'a=', 'a=b\u0000', 'a=é', 'a=\u007f', 'a=' + 'v'.repeat(257), 'a', 'a=b,c']) {
      expect(parseTracestate(`ok=1,${member}`), JSON.stringify(member)).toBeUndefined();
    }
    // 256 characters is the longest value; inner and leading spaces are allowed.
    expect(parseTracestate('a=' + 'v'.repeat(256))!.get('a')).toHaveLength(256);
    expect(parseTracestate('a=x  y')!.get('a')).toBe('x  y');
  });

  it('keeps the first member of a duplicated key (W3C test_tracestate_duplicated_keys)', () => {
    expect(parseTracestate('a=1,b=2,a=3')!.serialize()).toBe('a=1,b=2');
    expect(parseTracestate('foo=1,foo=1')!.serialize()).toBe('foo=1');
    expect(parseTracestate('foo=1,foo=2')!.serialize()).toBe('foo=1');
    expect(parseTracestate(['foo=1', 'foo=2'].join(','))!.get('foo')).toBe('1');
    // Still strict about the rest: an invalid member drops the header, duplicates count toward 32.
    expect(parseTracestate('foo=1,foo=2,BAD=3')).toBeUndefined();
    expect(parseTracestate(Array.from({ length: 33 }, () => 'a=1').join(','))).toBeUndefined();
    expect(parseTracestate(Array.from({ length: 32 }, () => 'a=1').join(','))!.serialize()).toBe('a=1');
  });

  it('keeps 32 members and drops the whole header at 33', () => {
    const members = (n: number) => Array.from({ length: n }, (_, i) => `k${i}=v${i}`).join(',');
    expect(parseTracestate(members(32))!.serialize()).toBe(members(32));
    expect(parseTracestate(members(33))).toBeUndefined();
  });

  it('never throws on garbage', () => {
    for (const v of [undefined, null, 1, {}, ['a=1'], 'x'.repeat(10_000), '='.repeat(10_000), ','.repeat(10_000)]) {
      expect(() => parseTracestate(v)).not.toThrow();
      expect(parseTracestate(v)).toBeUndefined();
    }
  });
});

describe('W3CTraceState', () => {
  it('set moves a new or updated key to the left', () => {
    const ts = parseTracestate('a=1,b=2,c=3')!;
    expect(ts.set('b', '9').serialize()).toBe('b=9,a=1,c=3');
    expect(ts.set('d', '4').serialize()).toBe('d=4,a=1,b=2,c=3');
    // Immutable.
    expect(ts.serialize()).toBe('a=1,b=2,c=3');
  });

  it('set ignores invalid keys and values, including a trailing space', () => {
    const ts = parseTracestate('a=1')!;
    for (const [k, v] of [['B', 'x'], ['_b', 'x'], ['b', 'x '], ['b', 'x,y'], ['b', 'x=y'], ['b', ''], ['b', 'é']]) {
      expect(ts.set(k, v).serialize(), `${k}=${v}`).toBe('a=1');
    }
  });

  it('set keeps at most 32 members, dropping the rightmost', () => {
    let ts: W3CTraceState = new W3CTraceState();
    for (let i = 0; i < 32; i++) ts = ts.set(`k${i}`, 'v') as W3CTraceState;
    const full = ts.set('new', 'v');
    const keys = full.serialize().split(',').map((m) => m.split('=')[0]);
    expect(keys).toHaveLength(32);
    expect(keys[0]).toBe('new');
    expect(keys).not.toContain('k0');
  });

  it('unset removes a key; get of a missing key is undefined', () => {
    const ts = parseTracestate('a=1,b=2')!;
    expect(ts.unset('a').serialize()).toBe('b=2');
    expect(ts.unset('zz').serialize()).toBe('a=1,b=2');
    expect(ts.get('zz')).toBeUndefined();
    expect(new W3CTraceState().serialize()).toBe('');
  });
});

/** A tracer whose spans stay in memory; sampling as given. */
function tracerWith(sampler: Sampler = new AlwaysOnSampler()) {
  return new BasicTracerProvider({ sampler }).getTracer('test');
}

function injected(ctx: Context): Record<string, string> {
  const carrier: Record<string, string> = {};
  new W3CPropagator().inject(ctx, carrier, defaultTextMapSetter);
  return carrier;
}

function extracted(headers: Record<string, unknown>, ctx: Context = ROOT_CONTEXT): Context {
  return new W3CPropagator().extract(ctx, headers, defaultTextMapGetter);
}

const flagsOf = (traceparent: string | undefined) => traceparent?.slice(53);

describe('W3CPropagator', () => {
  it('lists its fields', () => {
    expect(new W3CPropagator().fields()).toEqual(['traceparent', 'tracestate']);
  });

  it('round-trips traceparent and tracestate (tracestate given as several headers)', () => {
    const ctx = extracted({ traceparent: tp('03'), tracestate: ['a=1, b=2', 'c=3'] });
    const sc = trace.getSpanContext(ctx)!;
    expect(sc).toMatchObject({ traceId: TID, spanId: SID, traceFlags: 3, isRemote: true });
    expect(sc.traceState!.serialize()).toBe('a=1,b=2,c=3');
    expect(injected(ctx)).toEqual({ traceparent: tp('03'), tracestate: 'a=1,b=2,c=3' });
  });

  it('extracts the parent with no tracestate when the tracestate is invalid', () => {
    const ctx = extracted({ traceparent: tp('01'), tracestate: ['a=1', 'A=2'] });
    expect(trace.getSpanContext(ctx)!.traceState).toBeUndefined();
    expect(injected(ctx)).toEqual({ traceparent: tp('01') });
  });

  it('gives a child of a random+sampled parent the flags 03 and the tracestate', () => {
    const parent = extracted({ traceparent: tp('03'), tracestate: 'v=1' });
    const child = tracerWith().startSpan('child', {}, parent);
    const out = injected(trace.setSpan(parent, child));
    expect(out.traceparent).toBe(formatTraceparent(TID, child.spanContext().spanId, 3));
    expect(out.traceparent.slice(36, 52)).not.toBe(SID);
    expect(out.tracestate).toBe('v=1');
  });

  it('does not claim a random trace id for a child of a parent without the random flag', () => {
    const parent = extracted({ traceparent: tp('01') });
    const child = tracerWith().startSpan('child', {}, parent);
    const out = injected(trace.setSpan(parent, child));
    expect(flagsOf(out.traceparent)).toBe('01');
    expect(out.traceparent.slice(3, 35)).toBe(TID);
    // Also a grandchild.
    const grandchild = tracerWith().startSpan('gc', {}, trace.setSpan(parent, child));
    expect(flagsOf(injected(trace.setSpan(trace.setSpan(parent, child), grandchild)).traceparent)).toBe('01');
  });

  it('sends a root span of ours as 01 by default, 03 with randomTraceIdFlag', () => {
    for (const [sampler, flags] of [
      [new ParentOrRootSampler(() => true), '01'],
      [new ParentOrRootSampler(() => true, { randomTraceIdFlag: true }), '03'],
      [new ParentOrRootSampler(() => false, { randomTraceIdFlag: true }), '02'],
      [new AlwaysOnSampler(), '01'],
    ] as const) {
      const root = tracerWith(sampler).startSpan('root', {}, ROOT_CONTEXT);
      const out = injected(trace.setSpan(ROOT_CONTEXT, root));
      expect(out.traceparent).toBe(formatTraceparent(root.spanContext().traceId, root.spanContext().spanId, parseInt(flags, 16)));
      expect(out).not.toHaveProperty('tracestate');
      // And its children, through the tracestate they inherit.
      const child = tracerWith(sampler).startSpan('child', {}, trace.setSpan(ROOT_CONTEXT, root));
      expect(flagsOf(injected(trace.setSpan(ROOT_CONTEXT, child)).traceparent)).toBe(flags);
    }
  });

  it('a new root started under an extracted random context (other trace) follows our own setting', () => {
    const parent = extracted({ traceparent: tp('03') });
    for (const [randomTraceIdFlag, flags] of [[false, '01'], [true, '03']] as const) {
      const root = tracerWith(new ParentOrRootSampler(() => true, { randomTraceIdFlag })).startSpan('root', { root: true }, parent);
      const out = injected(trace.setSpan(parent, root));
      expect(out.traceparent.slice(3, 35)).not.toBe(TID);
      expect(flagsOf(out.traceparent)).toBe(flags);
    }
  });

  it('never rewrites the flags of a remote parent set through the API', () => {
    for (const [traceFlags, flags] of [[1, '01'], [0, '00'], [3, '03'], [2, '02']] as const) {
      for (const randomTraceIdFlag of [false, true]) {
        const parent = trace.setSpanContext(ROOT_CONTEXT, { traceId: TID, spanId: SID, traceFlags, isRemote: true });
        expect(flagsOf(injected(parent).traceparent)).toBe(flags);
        const child = tracerWith(new ParentOrRootSampler(() => true, { randomTraceIdFlag })).startSpan('child', {}, parent);
        const out = injected(trace.setSpan(parent, child));
        expect(out.traceparent.slice(3, 35)).toBe(TID);
        expect(flagsOf(out.traceparent)).toBe(flags);
        expect(out).not.toHaveProperty('tracestate');
      }
    }
  });

  it('keeps the members of a foreign tracestate when it marks a random API parent', () => {
    const foreign = { get: () => undefined, set() { return this; }, unset() { return this; }, serialize: () => 'a=1,b=2' };
    const parent = trace.setSpanContext(ROOT_CONTEXT, { traceId: TID, spanId: SID, traceFlags: 3, isRemote: true, traceState: foreign });
    const child = tracerWith(new ParentOrRootSampler(() => true)).startSpan('child', {}, parent);
    expect(injected(trace.setSpan(parent, child))).toMatchObject({ tracestate: 'a=1,b=2' });
    expect(flagsOf(injected(trace.setSpan(parent, child)).traceparent)).toBe('03');
  });

  it('keeps an unsampled parent unsampled', () => {
    const parent = extracted({ traceparent: tp('00') });
    expect(flagsOf(injected(parent).traceparent)).toBe('00');
    const child = tracerWith(new ParentBasedSampler({ root: new AlwaysOnSampler() })).startSpan('child', {}, parent);
    expect(child.isRecording()).toBe(false);
    const out = injected(trace.setSpan(parent, child));
    expect(flagsOf(out.traceparent)).toBe('00');
    expect(out.traceparent.slice(3, 35)).toBe(TID);
  });

  it('keeps random without sampled for an unsampled random parent', () => {
    const parent = extracted({ traceparent: tp('02') });
    const child = tracerWith(new ParentBasedSampler({ root: new AlwaysOnSampler() })).startSpan('child', {}, parent);
    expect(flagsOf(injected(trace.setSpan(parent, child)).traceparent)).toBe('02');
  });

  it('returns the very same context for an invalid or missing traceparent', () => {
    const key = createContextKey('marker');
    const ctx = ROOT_CONTEXT.setValue(key, 1);
    for (const headers of [
      {},
      { traceparent: tp('01', 'ff') },
      { traceparent: tp().toUpperCase() },
      { traceparent: [tp(), tp()] },
      { traceparent: 123 },
      { traceparent: { a: 1 } },
      { traceparent: 'x'.repeat(10_000), tracestate: 'a=1' },
    ]) {
      expect(extracted(headers, ctx)).toBe(ctx);
    }
    expect(extractInto(ctx, undefined, 'a=1')).toBe(ctx);
  });

  it('injects nothing without a valid span context', () => {
    expect(injected(ROOT_CONTEXT)).toEqual({});
    const invalid = trace.setSpanContext(ROOT_CONTEXT, { traceId: '0'.repeat(32), spanId: SID, traceFlags: 1 });
    expect(injected(invalid)).toEqual({});
  });

  it('never throws for garbage carriers and values', () => {
    const p = new W3CPropagator();
    for (const carrier of [undefined, null, 0, 42, 'str', [], {}, { traceparent: NaN }, { tracestate: {} }, { traceparent: 'x'.repeat(10_000), tracestate: 'y'.repeat(10_000) }]) {
      expect(() => p.extract(ROOT_CONTEXT, carrier, defaultTextMapGetter)).not.toThrow();
      expect(p.extract(ROOT_CONTEXT, carrier, defaultTextMapGetter)).toBe(ROOT_CONTEXT);
    }
    const ctx = extracted({ traceparent: tp() });
    for (const carrier of [undefined, null, {}]) {
      expect(() => p.inject(ctx, carrier, defaultTextMapSetter)).not.toThrow();
    }
  });
});

describe('traceparentFromServerTiming (the browser reads the navigation entry with it)', () => {
  const e = (name: string, description: unknown) => ({ name, description });
  it('reads traceparent;desc= and the Level 3 draft trace;desc=, traceparent first', () => {
    expect(traceparentFromServerTiming([e('db', '53'), e('traceparent', tp())])).toBe(tp());
    expect(traceparentFromServerTiming([e('trace', tp('00'))])).toBe(tp('00'));
    expect(traceparentFromServerTiming([e('trace', tp('00')), e('traceparent', tp('01'))])).toBe(tp('01'));
    // An invalid traceparent entry does not hide a valid trace entry; blanks are trimmed.
    expect(traceparentFromServerTiming([e('traceparent', 'nope'), e('trace', ' ' + tp() + '\t')])).toBe(tp());
    expect(traceparentFromServerTiming([e('traceparent', tp().toUpperCase())])).toBeUndefined();
    expect(traceparentFromServerTiming([e('Trace', tp())])).toBeUndefined();
    expect(traceparentFromServerTiming([])).toBeUndefined();
  });

  it('never throws, whatever it is given', () => {
    const hostile = { length: 1, get 0() { throw new Error('x'); } };
    for (const v of [undefined, null, 0, 'traceparent', {}, [null], [e('trace', 5)], [e('trace', {})], hostile, { length: -1 }, { length: 1e10 }]) {
      expect(() => traceparentFromServerTiming(v)).not.toThrow();
      expect(traceparentFromServerTiming(v)).toBeUndefined();
    }
  });
});
