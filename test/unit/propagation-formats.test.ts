import { describe, expect, it } from 'vitest';
import { ROOT_CONTEXT, defaultTextMapGetter, defaultTextMapSetter, trace, type Context, type TextMapPropagator } from '@opentelemetry/api';
import { B3InjectEncoding, B3Propagator } from '@opentelemetry/propagator-b3';
import { JaegerPropagator } from '@opentelemetry/propagator-jaeger';
import { FormatsPropagator, extractParent, headersOf, parseB3Multi, parseB3Single, parseJaeger, type PropagatorName } from '../../src/core/formats';
import { W3CTraceState } from '../../src/core/propagation';
import { b3Singles, hex, seed, uberTraceIds, validB3, validJaeger } from './host-w3c';

/*
 * B3 (single and multi) and Jaeger, our own small parsers, differential against
 * @opentelemetry/propagator-b3 and -jaeger 2.12.0: what we inject, theirs reads back the
 * same; every valid header both read the same; whatever we accept, theirs accepts with the
 * same ids (we are stricter, never laxer). Nothing throws.
 */

const theirs = {
  b3: new B3Propagator({ injectEncoding: B3InjectEncoding.SINGLE_HEADER }),
  b3multi: new B3Propagator({ injectEncoding: B3InjectEncoding.MULTI_HEADER }),
  jaeger: new JaegerPropagator(),
} as const;

type Parent = { traceId: string; spanId: string; sampled: boolean } | undefined;

function read(p: TextMapPropagator, headers: Record<string, string>): Parent {
  const sc = trace.getSpanContext(p.extract(ROOT_CONTEXT, headers, defaultTextMapGetter));
  if (!sc || !trace.isSpanContextValid(sc)) return undefined;
  return { traceId: sc.traceId.toLowerCase(), spanId: sc.spanId.toLowerCase(), sampled: (sc.traceFlags & 1) === 1 };
}

function ours(names: PropagatorName[], headers: Record<string, string>): Parent {
  return read(new FormatsPropagator(names), headers);
}

const TID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SID = '00f067aa0ba902b7';
const contextWith = (traceFlags: number, traceState?: W3CTraceState): Context =>
  trace.setSpanContext(ROOT_CONTEXT, { traceId: hex(32), spanId: hex(16), traceFlags, isRemote: false, traceState });

describe('inject: theirs reads back what we send', () => {
  seed(77);
  for (const name of ['b3', 'b3multi', 'jaeger'] as const) {
    it(`${name}: 500 span contexts, sampled and not`, () => {
      for (let i = 0; i < 500; i++) {
        const ctx = contextWith(i % 2);
        const carrier: Record<string, string> = {};
        new FormatsPropagator([name]).inject(ctx, carrier, defaultTextMapSetter);
        const sc = trace.getSpanContext(ctx)!;
        expect(read(theirs[name], carrier)).toEqual({ traceId: sc.traceId, spanId: sc.spanId, sampled: i % 2 === 1 });
        // And what theirs would send for the same span, we read the same.
        const their: Record<string, string> = {};
        theirs[name].inject(ctx, their, defaultTextMapSetter);
        expect(ours([name], their)).toEqual({ traceId: sc.traceId, spanId: sc.spanId, sampled: i % 2 === 1 });
      }
    });
  }

  it('writes exactly the documented headers, all formats at once', () => {
    const ctx = trace.setSpanContext(ROOT_CONTEXT, { traceId: TID, spanId: SID, traceFlags: 1, traceState: new W3CTraceState([['v', '1']]) });
    const carrier: Record<string, string> = {};
    new FormatsPropagator(['tracecontext', 'b3', 'b3multi', 'jaeger']).inject(ctx, carrier, defaultTextMapSetter);
    expect(carrier).toEqual({
      traceparent: `00-${TID}-${SID}-01`,
      tracestate: 'v=1',
      b3: `${TID}-${SID}-1`,
      'x-b3-traceid': TID,
      'x-b3-spanid': SID,
      'x-b3-sampled': '1',
      'uber-trace-id': `${TID}:${SID}:0:01`,
    });
    expect(new FormatsPropagator(['b3', 'jaeger']).fields()).toEqual(['b3', 'x-b3-traceid', 'x-b3-spanid', 'x-b3-sampled', 'x-b3-flags', 'x-b3-parentspanid', 'uber-trace-id']);
    expect(headersOf(['tracecontext'])).toEqual(['traceparent', 'tracestate']);
  });
});

describe('extract: the same parent as theirs', () => {
  seed(78);
  it('2,000 valid b3 single values', () => {
    for (let i = 0; i < 2000; i++) {
      const v = validB3();
      const want = read(theirs.b3, { b3: v });
      expect(want, v).toBeDefined();
      expect(ours(['b3'], { b3: v }), v).toEqual(want);
      expect(parseB3Single(v)).toEqual(want);
    }
  });

  it('2,000 valid b3 multi header sets', () => {
    for (let i = 0; i < 2000; i++) {
      const headers: Record<string, string> = { 'x-b3-traceid': i % 2 ? hex(32) : hex(16), 'x-b3-spanid': hex(16) };
      const sampled = ['1', '0', 'true', 'false', undefined][i % 5];
      if (sampled !== undefined) headers['x-b3-sampled'] = sampled;
      if (i % 7 === 0) headers['x-b3-flags'] = '1';
      if (i % 3 === 0) headers['x-b3-parentspanid'] = hex(16);
      const want = read(theirs.b3multi, headers);
      expect(want, JSON.stringify(headers)).toBeDefined();
      expect(ours(['b3multi'], headers), JSON.stringify(headers)).toEqual(want);
      expect(parseB3Multi((k) => headers[k])).toEqual(want);
    }
  });

  it('2,000 valid uber-trace-id values (short ids, URL-encoded colons, debug flag)', () => {
    for (let i = 0; i < 2000; i++) {
      const v = validJaeger();
      const want = read(theirs.jaeger, { 'uber-trace-id': v });
      // A valid value whose ids are all zero is no parent for either.
      if (!want) {
        expect(parseJaeger(v), v).toBeUndefined();
        continue;
      }
      expect(ours(['jaeger'], { 'uber-trace-id': v }), v).toEqual(want);
    }
  });

  it('reads hex of any case and sends it lowercase', () => {
    expect(parseB3Single(`${TID.toUpperCase()}-${SID.toUpperCase()}-1`)).toEqual({ traceId: TID, spanId: SID, sampled: true });
    expect(parseJaeger(`${TID.toUpperCase()}:${SID}:0:1`)).toEqual({ traceId: TID, spanId: SID, sampled: true });
  });

  it('is stricter than theirs: unanchored, trailing garbage or bad flags are no parent', () => {
    const v = `${TID}-${SID}-1`;
    for (const bad of [`x${v}`, `${v}-`, `${v}-1`, `${TID}-${SID}-2`]) {
      expect(parseB3Single(bad), bad).toBeUndefined();
    }
    // Theirs finds a parent inside these; ours does not.
    expect(read(theirs.b3, { b3: `x${v}` })).toBeDefined();
    expect(parseJaeger(`${TID}:${SID}:0:zz`)).toBeUndefined();
    expect(read(theirs.jaeger, { 'uber-trace-id': `${TID}:${SID}:0:zz` })).toBeDefined();
    expect(parseJaeger(`${TID}:${'x'.repeat(16)}:0:1`)).toBeUndefined();
    expect(parseB3Multi((k) => ({ 'x-b3-traceid': TID, 'x-b3-spanid': SID, 'x-b3-sampled': 'maybe' })[k])).toBeUndefined();
  });
});

describe('fuzz: 10,240 generated b3 and uber-trace-id values each', () => {
  seed(79);
  const B3S = b3Singles(10_240);
  const UBERS = uberTraceIds(10_240);

  it('nothing throws; whatever we accept, theirs accepts with the same ids', () => {
    const problems: string[] = [];
    let accepted = 0;
    for (const [name, header, values] of [['b3', 'b3', B3S], ['jaeger', 'uber-trace-id', UBERS]] as const) {
      for (const v of values) {
        let got: Parent;
        try {
          got = ours([name], { [header]: v });
        } catch (e) {
          problems.push(`${name} threw on ${JSON.stringify(v.slice(0, 80))}: ${String(e)}`);
          continue;
        }
        if (!got) continue;
        accepted++;
        // Compared as a runtime hands the header over: without surrounding SP / HTAB (Fetch strips them).
        const want = read(theirs[name], { [header]: v.replace(/^[ \t]+|[ \t]+$/g, '').toLowerCase() });
        if (!want || want.traceId !== got.traceId || want.spanId !== got.spanId) problems.push(`${name}: ${JSON.stringify(v.slice(0, 80))}: ours ${JSON.stringify(got)}, theirs ${JSON.stringify(want)}`);
      }
    }
    expect(problems.slice(0, 20)).toEqual([]);
    // The generators make valid values too: a parser that accepts nothing fails here.
    expect(accepted).toBeGreaterThan(4000);
  });

  it('b3 multi: the same values as X-B3-TraceId / X-B3-SpanId never throw or yield an invalid id', () => {
    for (let i = 0; i < B3S.length; i++) {
      const [t, s] = B3S[i].split('-');
      const p = parseB3Multi((k) => ({ 'x-b3-traceid': t, 'x-b3-spanid': s ?? B3S[(i + 1) % B3S.length], 'x-b3-sampled': UBERS[i].slice(0, 5) })[k]);
      if (p) {
        expect(p.traceId).toMatch(/^(?!0{32})[0-9a-f]{32}$/);
        expect(p.spanId).toMatch(/^(?!0{16})[0-9a-f]{16}$/);
      }
    }
  });
});

describe('extractParent: which format wins', () => {
  const ALL: PropagatorName[] = ['tracecontext', 'b3', 'b3multi', 'jaeger'];
  const b3 = `${hex(32)}-${hex(16)}-1`;
  const uber = `${hex(32)}:${hex(16)}:0:1`;
  const tp = `00-${TID}-${SID}-01`;
  const get = (h: Record<string, string>) => (k: string) => h[k];
  const parentOf = (names: PropagatorName[], h: Record<string, string>) => trace.getSpanContext(extractParent(ROOT_CONTEXT, names, get(h)));

  it('W3C first; an invalid traceparent falls through to the next format', () => {
    expect(parentOf(ALL, { traceparent: tp, b3, 'uber-trace-id': uber })!.traceId).toBe(TID);
    expect(parentOf(ALL, { traceparent: 'garbage', b3, 'uber-trace-id': uber })!.traceId).toBe(b3.slice(0, 32));
    expect(parentOf(['jaeger', 'b3'], { b3, 'uber-trace-id': uber })!.traceId).toBe(uber.slice(0, 32));
  });

  it('reads only configured formats; none valid leaves the context as it was', () => {
    expect(parentOf(['tracecontext'], { b3, 'uber-trace-id': uber })).toBeUndefined();
    expect(parentOf(['b3multi'], { b3 })!.traceId).toBe(b3.slice(0, 32)); // either B3 name reads both encodings
    const ctx = ROOT_CONTEXT.setValue(Symbol('k'), 1);
    expect(extractParent(ctx, ALL, get({ traceparent: 'x', b3: 'y', 'uber-trace-id': 'z', 'x-b3-traceid': '0' }))).toBe(ctx);
    expect(extractParent(ctx, ALL, () => {
      throw new Error('getter');
    })).toBe(ctx);
  });

  it('a B3 or Jaeger parent carries no random flag and no tracestate', () => {
    const sc = parentOf(ALL, { b3, tracestate: 'a=1' })!;
    expect(sc).toMatchObject({ traceFlags: 1, isRemote: true });
    expect(sc.traceState).toBeUndefined();
  });
});
