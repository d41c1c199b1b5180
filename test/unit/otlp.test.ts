import { describe, expect, it } from 'vitest';
import { SpanKind, SpanStatusCode, trace, context as apiContext, type Attributes, type HrTime } from '@opentelemetry/api';
import {
  AlwaysOnSampler,
  BasicTracerProvider,
  type ReadableSpan,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import {
  BodyBuilder,
  MAX_STRING_LENGTH,
  encodeAttributes,
  encodeResource,
  encodeScope,
  encodeSpan,
  hrTimeToNanos,
  utf8Length,
} from '../../src/core/otlp';

type SpanLimits = NonNullable<ConstructorParameters<typeof BasicTracerProvider>[0]>['spanLimits'];

/** A provider whose ended spans land in an array, synchronously. */
function setup(spanLimits?: SpanLimits) {
  const ended: ReadableSpan[] = [];
  const collector: SpanProcessor = {
    onStart() {},
    onEnd(span) {
      ended.push(span);
    },
    forceFlush: async () => {},
    shutdown: async () => {},
  };
  const provider = new BasicTracerProvider({ sampler: new AlwaysOnSampler(), spanProcessors: [collector], spanLimits });
  return { tracer: provider.getTracer('unit-scope', '1.2.3'), ended };
}

interface AnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string;
  doubleValue?: number | string;
  arrayValue?: { values: AnyValue[] };
}
interface KeyValue {
  key: string;
  value: AnyValue;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  traceState?: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes?: KeyValue[];
  droppedAttributesCount?: number;
  events?: { timeUnixNano: string; name: string; attributes?: KeyValue[]; droppedAttributesCount?: number }[];
  droppedEventsCount?: number;
  links?: { traceId: string; spanId: string; traceState?: string; attributes?: KeyValue[]; droppedAttributesCount?: number }[];
  droppedLinksCount?: number;
  status?: { code: number; message?: string };
}

const parse = (span: ReadableSpan): OtlpSpan => JSON.parse(encodeSpan(span)) as OtlpSpan;

/** Attributes as JSON parses them, keyed by name. */
function attrs(list: KeyValue[] | undefined): Record<string, AnyValue> {
  const out: Record<string, AnyValue> = {};
  for (const kv of list ?? []) out[kv.key] = kv.value;
  return out;
}

function encodeAttrs(a: Record<string, unknown>): Record<string, AnyValue> {
  const json = encodeAttributes(a as Attributes);
  if (!json) return {};
  // encodeAttributes yields `,"attributes":[...]`: wrap it to make an object.
  const parsed = JSON.parse('{' + json.slice(1) + '}') as { attributes: KeyValue[] };
  return attrs(parsed.attributes);
}

describe('hrTimeToNanos', () => {
  it('keeps nanosecond precision past 2^53', () => {
    expect(hrTimeToNanos([1700000000, 123456789])).toBe('1700000000123456789');
    expect(hrTimeToNanos([1700000000, 5])).toBe('1700000000000000005');
  });

  it('has no leading zeros for a zero seconds part', () => {
    expect(hrTimeToNanos([0, 5])).toBe('5');
    expect(hrTimeToNanos([0, 0])).toBe('0');
  });

  it('clamps out-of-range parts', () => {
    expect(hrTimeToNanos([-3, 5])).toBe('5');
    expect(hrTimeToNanos([1, 1_500_000_000])).toBe('1999999999');
    expect(hrTimeToNanos([1, -7])).toBe('1000000000');
  });
});

describe('encodeSpan', () => {
  it('encodes a root span with hex ids, kind + 1, nanosecond strings and no parentSpanId', () => {
    const { tracer, ended } = setup();
    const start: HrTime = [1700000000, 123456789];
    const end: HrTime = [1700000001, 5];
    tracer.startSpan('root op', { kind: SpanKind.SERVER, startTime: start }).end(end);
    const json = encodeSpan(ended[0]);
    const s = JSON.parse(json) as OtlpSpan;
    expect(s.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(s.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(s.traceId).toBe(ended[0].spanContext().traceId);
    expect(s.spanId).toBe(ended[0].spanContext().spanId);
    expect(s).not.toHaveProperty('parentSpanId');
    expect(json).not.toContain('parentSpanId');
    expect(s.name).toBe('root op');
    expect(s.kind).toBe(2); // SERVER (1) + 1
    expect(s.startTimeUnixNano).toBe('1700000000123456789');
    expect(s.endTimeUnixNano).toBe('1700000001000000005');
    // Defaults omitted.
    for (const k of ['status', 'events', 'links', 'attributes', 'droppedAttributesCount', 'droppedEventsCount', 'droppedLinksCount', 'traceState']) {
      expect(s).not.toHaveProperty(k);
    }
  });

  it('maps every API SpanKind to the OTLP enum (API + 1)', () => {
    const { tracer, ended } = setup();
    const kinds = [SpanKind.INTERNAL, SpanKind.SERVER, SpanKind.CLIENT, SpanKind.PRODUCER, SpanKind.CONSUMER];
    for (const kind of kinds) tracer.startSpan('k', { kind }).end();
    expect(ended.map((s) => parse(s).kind)).toEqual([1, 2, 3, 4, 5]);
  });

  it('gives a child the parent span id', () => {
    const { tracer, ended } = setup();
    const parent = tracer.startSpan('parent');
    const child = tracer.startSpan('child', {}, trace.setSpan(apiContext.active(), parent));
    child.end();
    parent.end();
    const c = parse(ended[0]);
    const p = parse(ended[1]);
    expect(c.parentSpanId).toBe(p.spanId);
    expect(c.traceId).toBe(p.traceId);
    expect(p).not.toHaveProperty('parentSpanId');
  });

  it('encodes attributes of a real span by type', () => {
    const { tracer, ended } = setup();
    tracer
      .startSpan('a', {
        attributes: {
          s: 'text "quoted" \n é',
          t: true,
          f: false,
          i: 42,
          neg: -7,
          d: 1.5,
          nan: NaN,
          inf: Infinity,
          ninf: -Infinity,
          big: 2 ** 60,
          arr: ['x', 'y'],
          nums: [1, 2.5],
          long: 'x'.repeat(MAX_STRING_LENGTH + 100),
          exact: 'y'.repeat(MAX_STRING_LENGTH),
        },
      })
      .end();
    const a = attrs(parse(ended[0]).attributes);
    expect(a.s).toEqual({ stringValue: 'text "quoted" \n é' });
    expect(a.t).toEqual({ boolValue: true });
    expect(a.f).toEqual({ boolValue: false });
    expect(a.i).toEqual({ intValue: '42' });
    expect(a.neg).toEqual({ intValue: '-7' });
    expect(a.d).toEqual({ doubleValue: 1.5 });
    expect(a.nan).toEqual({ doubleValue: 'NaN' });
    expect(a.inf).toEqual({ doubleValue: 'Infinity' });
    expect(a.ninf).toEqual({ doubleValue: '-Infinity' });
    // Not a safe integer: a double, still written as a JSON number.
    expect(a.big).toEqual({ doubleValue: 2 ** 60 });
    expect(a.arr).toEqual({ arrayValue: { values: [{ stringValue: 'x' }, { stringValue: 'y' }] } });
    expect(a.nums).toEqual({ arrayValue: { values: [{ intValue: '1' }, { doubleValue: 2.5 }] } });
    expect(a.long.stringValue).toBe('x'.repeat(MAX_STRING_LENGTH));
    expect(a.exact.stringValue).toBe('y'.repeat(MAX_STRING_LENGTH));
  });

  it('encodes events and links with their attributes and trace state', () => {
    const { tracer, ended } = setup();
    const linked = tracer.startSpan('linked');
    linked.end();
    const linkedCtx = {
      ...linked.spanContext(),
      traceState: { serialize: () => 'vendor=abc', get: () => undefined, set() { return this; }, unset() { return this; } },
    };
    const span = tracer.startSpan('with events', { links: [{ context: linkedCtx, attributes: { why: 'because' } }] });
    span.addEvent('ev1', { n: 1 }, [1700000000, 7]);
    span.addEvent('ev2', [1700000002, 0]);
    span.end();
    const s = parse(ended[1]);
    expect(s.events).toEqual([
      { timeUnixNano: '1700000000000000007', name: 'ev1', attributes: [{ key: 'n', value: { intValue: '1' } }] },
      { timeUnixNano: '1700000002000000000', name: 'ev2' },
    ]);
    expect(s.links).toEqual([
      {
        traceId: linked.spanContext().traceId,
        spanId: linked.spanContext().spanId,
        traceState: 'vendor=abc',
        attributes: [{ key: 'why', value: { stringValue: 'because' } }],
      },
    ]);
  });

  it('writes status only when set, with message only when present', () => {
    const { tracer, ended } = setup();
    tracer.startSpan('unset').end();
    const ok = tracer.startSpan('ok');
    ok.setStatus({ code: SpanStatusCode.OK });
    ok.end();
    const err = tracer.startSpan('err');
    err.setStatus({ code: SpanStatusCode.ERROR, message: 'boom "x"' });
    err.end();
    const errNoMsg = tracer.startSpan('err2');
    errNoMsg.setStatus({ code: SpanStatusCode.ERROR });
    errNoMsg.end();
    const [u, o, e, e2] = ended.map(parse);
    expect(u).not.toHaveProperty('status');
    expect(o.status).toEqual({ code: 1 });
    expect(e.status).toEqual({ code: 2, message: 'boom "x"' });
    expect(e2.status).toEqual({ code: 2 });
  });

  it('writes dropped counts only when non-zero', () => {
    const { tracer, ended } = setup({
      attributeCountLimit: 2,
      eventCountLimit: 1,
      linkCountLimit: 1,
      attributePerEventCountLimit: 1,
      attributePerLinkCountLimit: 1,
    });
    const other = tracer.startSpan('other');
    other.end();
    const link = { context: other.spanContext(), attributes: { a: 1, b: 2, c: 3 } };
    const span = tracer.startSpan('limited', { attributes: { a: 1, b: 2, c: 3, d: 4 }, links: [link, link, link] });
    span.addEvent('e1');
    span.addEvent('e2', { x: 1, y: 2 });
    span.end();
    const s = parse(ended[1]);
    expect(s.droppedAttributesCount).toBe(2);
    expect(s.droppedEventsCount).toBe(1);
    expect(s.droppedLinksCount).toBe(2);
    expect(s.events).toHaveLength(1);
    expect(s.events![0].droppedAttributesCount).toBe(1);
    expect(s.links).toHaveLength(1);
    expect(s.links![0].droppedAttributesCount).toBe(2);
    // The unlimited span carries none of them.
    expect(Object.keys(parse(ended[0])).filter((k) => k.startsWith('dropped'))).toEqual([]);
  });

  it('names an unnamed span and never lets end precede start', () => {
    const { tracer, ended } = setup();
    tracer.startSpan('x', { startTime: [1700000000, 500] }).end([1700000000, 600]);
    const real = ended[0];
    const fake = Object.create(real, {
      name: { value: '' },
      endTime: { value: [1699999999, 0] },
    }) as ReadableSpan;
    const s = parse(fake);
    expect(s.name).toBe('span');
    expect(s.startTimeUnixNano).toBe('1700000000000000500');
    expect(s.endTimeUnixNano).toBe(s.startTimeUnixNano);
  });

  it('compares start and end as decimal strings: shorter is earlier, equal lengths digit by digit', () => {
    const { tracer, ended } = setup();
    tracer.startSpan('x', { startTime: [5, 0] }).end([6, 0]);
    const at = (startTime: HrTime, endTime: HrTime) => parse(Object.create(ended[0], { startTime: { value: startTime }, endTime: { value: endTime } }) as ReadableSpan);
    // '999999999' (9 digits, s = 0) ends before '1000000000' (10 digits): kept.
    expect(at([0, 999_999_999], [1, 0]).endTimeUnixNano).toBe('1000000000');
    // An end of 0 s before a start of 1 s: clamped to the start, though '999999999' > '1000000000' as text.
    expect(at([1, 0], [0, 999_999_999]).endTimeUnixNano).toBe('1000000000');
    expect(at([0, 7], [0, 10]).endTimeUnixNano).toBe('10');
    expect(at([0, 10], [0, 7]).endTimeUnixNano).toBe('10');
    expect(at([1700000000, 2], [1700000000, 1]).endTimeUnixNano).toBe('1700000000000000002');
    expect(at([1700000000, 1], [1700000001, 0]).endTimeUnixNano).toBe('1700000001000000000');
  });

  it('throws on a span whose times are no numbers (NaN, Infinity): the pipeline drops it', () => {
    const { tracer, ended } = setup();
    tracer.startSpan('x').end();
    for (const [startTime, endTime] of [
      [[NaN, 0], [1, 0]],
      [[1, 0], [NaN, NaN]],
      [[1, 0], [Infinity, 0]],
      [[1e21, 0], [1e21, 0]],
    ] as [HrTime, HrTime][]) {
      expect(() => encodeSpan(Object.create(ended[0], { startTime: { value: startTime }, endTime: { value: endTime } }) as ReadableSpan)).toThrow();
    }
  });

  it('keeps JSON valid for hostile strings (quotes, control chars, lone surrogates, </script>)', () => {
    const { tracer, ended } = setup();
    const nasty = '"\\\u0000\u001f\u2028\ud800</script>😀';
    const span = tracer.startSpan(nasty, { attributes: { [nasty]: nasty } });
    span.addEvent(nasty, { [nasty]: [nasty] });
    span.setStatus({ code: SpanStatusCode.ERROR, message: nasty });
    span.end();
    const json = encodeSpan(ended[0]);
    const s = JSON.parse(json) as OtlpSpan;
    expect(s.name).toBe(nasty);
    expect(attrs(s.attributes)[nasty]).toEqual({ stringValue: nasty });
    expect(s.status!.message).toBe(nasty);
    expect(utf8Length(json)).toBe(Buffer.byteLength(json));
  });

  it('does not let a link with junk ids break the request body', () => {
    // Links come from user code and the SDK does not validate their span context. A
    // body that is not JSON (or has non-hex ids) makes the collector reject the whole
    // batch, so such a link must be skipped, or encodeSpan must throw (the pipeline then
    // drops this one span only, as encodeSpan's doc comment promises).
    const { tracer, ended } = setup();
    tracer
      .startSpan('bad link', {
        links: [{ context: { traceId: 'not-hex"}]}', spanId: 'also "bad"', traceFlags: 1 } }],
      })
      .end();
    let json: string;
    try {
      json = encodeSpan(ended[0]);
    } catch {
      return; // isolated: acceptable
    }
    const s = JSON.parse(json) as OtlpSpan;
    for (const l of s.links ?? []) {
      expect(l.traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(l.spanId).toMatch(/^[0-9a-f]{16}$/);
    }
  });
});

describe('encodeAttributes', () => {
  it('returns "" for no or only unencodable attributes', () => {
    expect(encodeAttributes(undefined)).toBe('');
    expect(encodeAttributes({})).toBe('');
    expect(encodeAttributes({ f: (() => 1) as unknown as string, u: undefined, sym: Symbol('s') as unknown as string })).toBe('');
  });

  it('skips functions, symbols, undefined, null, objects and empty keys; keeps the rest', () => {
    const a = encodeAttrs({
      fn: () => 1,
      sym: Symbol('x'),
      undef: undefined,
      nul: null,
      obj: { a: 1 },
      '': 'empty key',
      keep: 'yes',
    });
    expect(a).toEqual({ keep: { stringValue: 'yes' } });
  });

  it('encodes bigint as intValue inside int64, else as a string', () => {
    const a = encodeAttrs({
      b: 12345678901234567890n - 10000000000000000000n,
      min: -(2n ** 63n),
      max: 2n ** 63n - 1n,
      over: 2n ** 63n,
    });
    expect(a.b).toEqual({ intValue: '2345678901234567890' });
    expect(a.min).toEqual({ intValue: '-9223372036854775808' });
    expect(a.max).toEqual({ intValue: '9223372036854775807' });
    expect(a.over).toEqual({ stringValue: '9223372036854775808' });
  });

  it('encodes arrays, skipping unencodable members and cutting long strings', () => {
    const a = encodeAttrs({
      mixed: ['a', 1, 1.5, true, null, undefined, () => 1, 3n],
      long: ['z'.repeat(MAX_STRING_LENGTH * 2)],
      empty: [],
      nested: [['in']],
    });
    expect(a.mixed).toEqual({
      arrayValue: {
        values: [{ stringValue: 'a' }, { intValue: '1' }, { doubleValue: 1.5 }, { boolValue: true }, { intValue: '3' }],
      },
    });
    expect(a.long.arrayValue!.values[0].stringValue).toHaveLength(MAX_STRING_LENGTH);
    expect(a.empty).toEqual({ arrayValue: { values: [] } });
    expect(a.nested).toEqual({ arrayValue: { values: [{ arrayValue: { values: [{ stringValue: 'in' }] } }] } });
  });

  it('uses the given field name', () => {
    expect(encodeAttributes({ a: 'b' }, 'x')).toBe(',"x":[{"key":"a","value":{"stringValue":"b"}}]');
  });
});

describe('encodeResource / encodeScope', () => {
  it('encodes an empty resource as {}', () => {
    expect(encodeResource({})).toBe('{}');
    expect(JSON.parse(encodeResource({}))).toEqual({});
  });

  it('encodes resource attributes', () => {
    expect(JSON.parse(encodeResource({ 'service.name': 'svc', n: 2 }))).toEqual({
      attributes: [
        { key: 'service.name', value: { stringValue: 'svc' } },
        { key: 'n', value: { intValue: '2' } },
      ],
    });
  });

  it('encodes a scope with and without version', () => {
    expect(JSON.parse(encodeScope({ name: 'x', version: '1.0' }))).toEqual({ name: 'x', version: '1.0' });
    expect(JSON.parse(encodeScope({ name: 'x' }))).toEqual({ name: 'x' });
    expect(JSON.parse(encodeScope({ name: '' }))).toEqual({ name: 'tracelet' });
  });
});

describe('utf8Length', () => {
  const cases: [string, string][] = [
    ['empty', ''],
    ['ASCII', 'hello, world {"a":1}'],
    ['2-byte', 'é ß ñ Ω'],
    ['3-byte', '€ 中文 \u2028 \uffff'],
    ['emoji (surrogate pairs)', '😀👍🏽 𝄞'],
    ['mixed', 'a é € 😀 z'],
  ];
  for (const [label, s] of cases) {
    it(`equals Buffer.byteLength for ${label}`, () => {
      expect(utf8Length(s)).toBe(Buffer.byteLength(s, 'utf8'));
    });
  }

  it('lone surrogates: what it returns', () => {
    // A lone surrogate at the end or a lone low surrogate: 3 bytes, as U+FFFD would be.
    expect(utf8Length('\ud800')).toBe(3);
    expect(utf8Length('\udc00')).toBe(3);
    expect(utf8Length('a\udc00b')).toBe(5);
    expect(Buffer.byteLength('\ud800')).toBe(3);
    expect(Buffer.byteLength('\udc00')).toBe(3);
    // A high surrogate always counts as the start of a 4-byte pair and swallows the next
    // unit, whatever it is: exact only when that unit takes 1 byte.
    expect(utf8Length('\ud800a')).toBe(4);
    expect(Buffer.byteLength('\ud800a')).toBe(4);
    expect(utf8Length('\ud800é')).toBe(4); // Buffer: 3 (U+FFFD) + 2 = 5
    expect(utf8Length('\ud800\ud800')).toBe(4); // Buffer: 3 + 3 = 6
    // Irrelevant to bodies: JSON.stringify escapes lone surrogates to ASCII.
    for (const s of ['\ud800é', '\ud800\ud800', '\udc00\ud800x']) {
      const json = JSON.stringify(s);
      expect(utf8Length(json)).toBe(Buffer.byteLength(json));
    }
  });
});

describe('BodyBuilder', () => {
  function spansOf(scopes: string[]) {
    const ended: ReadableSpan[] = [];
    const collector: SpanProcessor = {
      onStart() {},
      onEnd: (s) => void ended.push(s),
      forceFlush: async () => {},
      shutdown: async () => {},
    };
    const provider = new BasicTracerProvider({ sampler: new AlwaysOnSampler(), spanProcessors: [collector] });
    scopes.forEach((scope, i) => {
      provider.getTracer(scope, scope === 'b' ? '2.0.0' : undefined).startSpan(`span ${i} é€😀`, { attributes: { i } }).end();
    });
    return ended;
  }

  for (const scopes of [['one'], ['one', 'two', 'one'], ['a', 'b', 'c', 'b', 'a', 'c', 'c']]) {
    const distinct = new Set(scopes).size;
    it(`counts its bytes exactly with ${distinct} scope(s)`, () => {
      const resource = encodeResource({ 'service.name': 'svc ü', 'x': ['a', 'b'] });
      const builder = new BodyBuilder();
      expect(builder.bytes).toBe(Buffer.byteLength(builder.build()));
      for (const span of spansOf(scopes)) {
        const item = { resource, scope: encodeScope(span.instrumentationScope), span: encodeSpan(span) };
        const before = builder.bytes;
        const cost = builder.cost(item);
        builder.add(item);
        expect(builder.bytes - before).toBe(cost);
        expect(builder.bytes).toBe(Buffer.byteLength(builder.build()));
      }
      expect(builder.count).toBe(scopes.length);
      const body = JSON.parse(builder.build()) as {
        resourceSpans: { resource: { attributes: KeyValue[] }; scopeSpans: { scope: { name: string; version?: string }; spans: OtlpSpan[] }[] }[];
      };
      expect(body.resourceSpans).toHaveLength(1);
      const rs = body.resourceSpans[0];
      expect(attrs(rs.resource.attributes)['service.name']).toEqual({ stringValue: 'svc ü' });
      expect(rs.scopeSpans.map((s) => s.scope.name).sort()).toEqual([...new Set(scopes)].sort());
      for (const ss of rs.scopeSpans) {
        expect(ss.spans.length).toBe(scopes.filter((s) => s === ss.scope.name).length);
        for (const sp of ss.spans) expect(sp.traceId).toMatch(/^[0-9a-f]{32}$/);
      }
    });
  }

  it('builds a valid body around an empty resource', () => {
    const builder = new BodyBuilder();
    builder.add({ resource: encodeResource({}), scope: encodeScope({ name: 's' }), span: '{"x":1}' });
    expect(JSON.parse(builder.build())).toEqual({
      resourceSpans: [{ resource: {}, scopeSpans: [{ scope: { name: 's' }, spans: [{ x: 1 }] }] }],
    });
    expect(builder.bytes).toBe(Buffer.byteLength(builder.build()));
  });

  it('groups spans by resource, then scope, counting bytes exactly across resources', () => {
    const r1 = encodeResource({ 'service.name': 'a', 'page_view.id': '1' });
    const r2 = encodeResource({ 'service.name': 'a', 'page_view.id': '2é' });
    const builder = new BodyBuilder();
    const items = [
      { resource: r1, scope: encodeScope({ name: 's' }), span: '{"n":1}' },
      { resource: r2, scope: encodeScope({ name: 's' }), span: '{"n":2}' },
      { resource: r1, scope: encodeScope({ name: 't', version: '1' }), span: '{"n":3}' },
      { resource: r2, scope: encodeScope({ name: 's' }), span: '{"n":4}' },
      { resource: r1, scope: encodeScope({ name: 's' }), span: '{"n":5}' },
    ];
    for (const item of items) {
      const before = builder.bytes;
      const cost = builder.cost(item);
      builder.add(item);
      expect(builder.bytes - before).toBe(cost);
      expect(builder.bytes).toBe(Buffer.byteLength(builder.build()));
    }
    const body = JSON.parse(builder.build());
    expect(body.resourceSpans).toHaveLength(2);
    expect(body.resourceSpans[0].scopeSpans.map((ss: { spans: { n: number }[] }) => ss.spans.map((x) => x.n))).toEqual([[1, 5], [3]]);
    expect(body.resourceSpans[1].scopeSpans.map((ss: { spans: { n: number }[] }) => ss.spans.map((x) => x.n))).toEqual([[2, 4]]);
  });
});
