import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES, startOtlpReceiver, validateOtlpJson, type OtlpReceiver } from '../support/otlpReceiver';

const TRACE = '5b8efff798038103d269b633813fc60c';
const ROOT = 'eee19b7ec3c1b174';
const CHILD = 'eee19b7ec3c1b173';
const SPAN = 'resourceSpans[0].scopeSpans[0].spans[0]';

type J = Record<string, any>;

/** A valid two-span export, written out by hand from trace.proto (not produced by tracelet). */
function goodPayload(): J {
  return {
    resourceSpans: [{
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'shop' } }] },
      scopeSpans: [{
        scope: { name: 'tracelet', version: '0.1.0' },
        spans: [
          {
            traceId: TRACE,
            spanId: ROOT,
            name: 'documentLoad',
            kind: 1,
            startTimeUnixNano: '1700000000000000000',
            endTimeUnixNano: '1700000000500000000',
            attributes: [
              { key: 's', value: { stringValue: 'x' } },
              { key: 'i', value: { intValue: '-42' } },
              { key: 'd', value: { doubleValue: 1.5 } },
              { key: 'nan', value: { doubleValue: 'NaN' } },
              { key: 'b', value: { boolValue: true } },
              { key: 'a', value: { arrayValue: { values: [{ stringValue: 'p' }, { intValue: '2' }] } } },
              { key: 'empty', value: { arrayValue: {} } },
              { key: 'kv', value: { kvlistValue: { values: [{ key: 'inner', value: { boolValue: false } }] } } },
              { key: 'bytes', value: { bytesValue: 'AQID' } },
            ],
            events: [{ timeUnixNano: '1700000000100000000', name: 'mark', attributes: [{ key: 'n', value: { intValue: '1' } }] }],
            status: { code: 1 },
          },
          {
            traceId: TRACE,
            spanId: CHILD,
            parentSpanId: ROOT,
            traceState: 'vendor=1',
            flags: 257,
            name: 'GET /api',
            kind: 3,
            startTimeUnixNano: '1700000000200000000',
            endTimeUnixNano: '1700000000200000000',
            droppedAttributesCount: 2,
            droppedEventsCount: 0,
            droppedLinksCount: 1,
            links: [{ traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceState: 'k=v', flags: 1, attributes: [] }],
            status: { code: 2, message: 'boom' },
          },
        ],
      }],
      schemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
    }],
  };
}

const span = (p: J, i = 0): J => p.resourceSpans[0].scopeSpans[0].spans[i];
const attr = (p: J, i = 0): J => span(p).attributes[i];

describe('validateOtlpJson', () => {
  it('accepts a hand-built payload', () => {
    expect(validateOtlpJson(goodPayload())).toEqual([]);
  });

  // [what, how to break the good payload, the one violation expected]
  const cases: [string, (p: J) => void, string][] = [
    ['unknown top-level key', (p) => { p.partialSuccess = {}; }, 'partialSuccess: unknown field (allowed: resourceSpans)'],
    ['snake_case top-level key', (p) => { p.resource_spans = []; }, 'resource_spans: unknown field; OTLP/JSON keys are lowerCamelCase, use "resourceSpans"'],
    ['snake_case span key', (p) => { span(p).trace_id = TRACE; }, `${SPAN}.trace_id: unknown field; OTLP/JSON keys are lowerCamelCase, use "traceId"`],
    ['snake_case resource key', (p) => { p.resourceSpans[0].resource.dropped_attributes_count = 0; }, 'resourceSpans[0].resource.dropped_attributes_count: unknown field; OTLP/JSON keys are lowerCamelCase, use "droppedAttributesCount"'],
    ['unknown span key', (p) => { span(p).duration = 5; }, `${SPAN}.duration: unknown field`],
    ['empty resourceSpans', (p) => { p.resourceSpans = []; }, 'resourceSpans: empty array'],
    ['missing resource', (p) => { delete p.resourceSpans[0].resource; }, 'resourceSpans[0].resource: missing (required)'],
    ['missing scope', (p) => { delete p.resourceSpans[0].scopeSpans[0].scope; }, 'resourceSpans[0].scopeSpans[0].scope: missing (required)'],
    ['scope name not a string', (p) => { p.resourceSpans[0].scopeSpans[0].scope.name = 7; }, 'resourceSpans[0].scopeSpans[0].scope.name: must be a string, got number 7'],
    ['empty spans', (p) => { p.resourceSpans[0].scopeSpans[0].spans = []; }, 'resourceSpans[0].scopeSpans[0].spans: empty array'],
    ['uppercase traceId', (p) => { span(p).traceId = TRACE.toUpperCase(); }, `${SPAN}.traceId: must be 32 lowercase hex characters, got "5B8EFFF798038103D269B633813FC60C"`],
    ['base64 traceId', (p) => { span(p).traceId = 'W47/95gDgQPSabYzgT/GDA=='; }, `${SPAN}.traceId: must be 32 lowercase hex characters`],
    ['all-zero traceId', (p) => { span(p).traceId = '0'.repeat(32); }, `${SPAN}.traceId: all zeros (invalid id)`],
    ['short spanId', (p) => { span(p).spanId = 'abc'; }, `${SPAN}.spanId: must be 16 lowercase hex characters, got "abc"`],
    ['all-zero spanId', (p) => { span(p).spanId = '0'.repeat(16); }, `${SPAN}.spanId: all zeros (invalid id)`],
    ['missing spanId', (p) => { delete span(p).spanId; }, `${SPAN}.spanId: missing (required)`],
    ['empty parentSpanId', (p) => { span(p).parentSpanId = ''; }, `${SPAN}.parentSpanId: empty string (omit it on root spans)`],
    ['all-zero parentSpanId', (p) => { span(p).parentSpanId = '0'.repeat(16); }, `${SPAN}.parentSpanId: all zeros (invalid id)`],
    ['traceState not a string', (p) => { span(p).traceState = ['a=b']; }, `${SPAN}.traceState: must be a string, got array ["a=b"]`],
    ['empty name', (p) => { span(p).name = ''; }, `${SPAN}.name: empty string`],
    ['string kind', (p) => { span(p).kind = 'SPAN_KIND_CLIENT'; }, `${SPAN}.kind: must be an integer 0..5 (enum names like "SPAN_KIND_CLIENT" are not allowed in OTLP/JSON), got "SPAN_KIND_CLIENT"`],
    ['kind out of range', (p) => { span(p).kind = 6; }, `${SPAN}.kind: must be an integer 0..5`],
    ['missing kind', (p) => { delete span(p).kind; }, `${SPAN}.kind: missing (required)`],
    ['numeric start time', (p) => { span(p).startTimeUnixNano = 1700000000000000000; }, `${SPAN}.startTimeUnixNano: must be a decimal string of digits (64-bit integers are strings in OTLP/JSON), got number 1700000000000000000`],
    ['non-digit end time', (p) => { span(p).endTimeUnixNano = '1.7e18'; }, `${SPAN}.endTimeUnixNano: must be a decimal string of digits`],
    ['zero start time', (p) => { span(p).startTimeUnixNano = '0'; }, `${SPAN}.startTimeUnixNano: zero`],
    // 2^53 + 1 vs 2^53: only a BigInt comparison sees this one.
    ['end before start', (p) => { span(p).startTimeUnixNano = '9007199254740993'; span(p).endTimeUnixNano = '9007199254740992'; }, `${SPAN}.endTimeUnixNano: before startTimeUnixNano (9007199254740992 < 9007199254740993)`],
    ['negative droppedAttributesCount', (p) => { span(p).droppedAttributesCount = -1; }, `${SPAN}.droppedAttributesCount: must be an integer 0..4294967295`],
    ['string droppedEventsCount', (p) => { span(p).droppedEventsCount = '3'; }, `${SPAN}.droppedEventsCount: must be an integer 0..4294967295 (a uint32 JSON number), got "3"`],
    ['fractional flags', (p) => { span(p).flags = 1.5; }, `${SPAN}.flags: must be an integer 0..4294967295 (fixed32), got number 1.5`],
    ['string status code', (p) => { span(p).status = { code: 'STATUS_CODE_ERROR' }; }, `${SPAN}.status.code: must be an integer 0..2 (enum names like "STATUS_CODE_ERROR" are not allowed in OTLP/JSON), got "STATUS_CODE_ERROR"`],
    ['status code out of range', (p) => { span(p).status = { code: 3 }; }, `${SPAN}.status.code: must be an integer 0..2`],
    ['unknown status field', (p) => { span(p).status = { code: 2, description: 'x' }; }, `${SPAN}.status.description: unknown field`],
    ['attributes as an object map', (p) => { span(p).attributes = { s: 'x' }; }, `${SPAN}.attributes: must be an array, got object {"s":"x"}`],
    ['empty attribute key', (p) => { attr(p).key = ''; }, `${SPAN}.attributes[0].key: must be a non-empty string, got ""`],
    ['duplicate attribute key', (p) => { attr(p, 1).key = 's'; }, `${SPAN}.attributes[1].key: duplicate key "s" (also at [0])`],
    ['missing attribute value', (p) => { delete attr(p).value; }, `${SPAN}.attributes[0].value: missing (required)`],
    ['empty AnyValue', (p) => { attr(p).value = {}; }, `${SPAN}.attributes[0].value: empty AnyValue`],
    ['two AnyValue fields', (p) => { attr(p).value = { stringValue: 'x', intValue: '1' }; }, `${SPAN}.attributes[0].value: more than one value field (stringValue, intValue); AnyValue is a oneof`],
    ['plain JSON attribute value', (p) => { attr(p).value = 'x'; }, `${SPAN}.attributes[0].value: must be an object, got "x"`],
    ['numeric intValue', (p) => { attr(p, 1).value = { intValue: 42 }; }, `${SPAN}.attributes[1].value.intValue: must be a decimal string (int64 is a string in OTLP/JSON), got number 42`],
    ['intValue beyond int64', (p) => { attr(p, 1).value = { intValue: '9223372036854775808' }; }, `${SPAN}.attributes[1].value.intValue: out of int64 range`],
    ['fractional intValue', (p) => { attr(p, 1).value = { intValue: '1.5' }; }, `${SPAN}.attributes[1].value.intValue: must be a decimal string`],
    ['doubleValue as a numeric string', (p) => { attr(p, 2).value = { doubleValue: '1.5' }; }, `${SPAN}.attributes[2].value.doubleValue: must be a JSON number or "NaN"/"Infinity"/"-Infinity", got "1.5"`],
    ['boolValue as a string', (p) => { attr(p, 4).value = { boolValue: 'true' }; }, `${SPAN}.attributes[4].value.boolValue: must be a JSON boolean, got "true"`],
    ['bad element in arrayValue', (p) => { attr(p, 5).value.arrayValue.values[1] = { intValue: 2 }; }, `${SPAN}.attributes[5].value.arrayValue.values[1].intValue: must be a decimal string`],
    ['bare array as arrayValue', (p) => { attr(p, 5).value = { arrayValue: [{ stringValue: 'p' }] }; }, `${SPAN}.attributes[5].value.arrayValue: must be an object, got array`],
    ['duplicate key in kvlistValue', (p) => { attr(p, 7).value.kvlistValue.values.push({ key: 'inner', value: { boolValue: true } }); }, `${SPAN}.attributes[7].value.kvlistValue.values[1].key: duplicate key "inner" (also at [0])`],
    ['non-base64 bytesValue', (p) => { attr(p, 8).value = { bytesValue: '01:02:03' }; }, `${SPAN}.attributes[8].value.bytesValue: must be a base64 string, got "01:02:03"`],
    ['numeric event time', (p) => { span(p).events[0].timeUnixNano = 1; }, `${SPAN}.events[0].timeUnixNano: must be a decimal string of digits`],
    ['event without name', (p) => { delete span(p).events[0].name; }, `${SPAN}.events[0].name: missing (required)`],
    ['bad attribute inside an event', (p) => { span(p).events[0].attributes[0].value = { intValue: 1 }; }, `${SPAN}.events[0].attributes[0].value.intValue: must be a decimal string`],
    ['link with a short spanId', (p) => { span(p, 1).links[0].spanId = 'bbbb'; }, 'resourceSpans[0].scopeSpans[0].spans[1].links[0].spanId: must be 16 lowercase hex characters, got "bbbb"'],
    ['link with snake_case trace_state', (p) => { span(p, 1).links[0].trace_state = 'k=v'; }, 'resourceSpans[0].scopeSpans[0].spans[1].links[0].trace_state: unknown field; OTLP/JSON keys are lowerCamelCase, use "traceState"'],
  ];

  it.each(cases)('rejects %s', (_what, breakIt, expected) => {
    const payload = goodPayload();
    breakIt(payload);
    const violations = validateOtlpJson(payload);
    expect(violations).toHaveLength(1);
    expect(violations[0].startsWith(expected), `${violations[0]}\n  should start with\n${expected}`).toBe(true);
  });

  it('rejects bodies that are not an export request at all', () => {
    expect(validateOtlpJson(null)).toEqual(['(root): must be an object, got null']);
    expect(validateOtlpJson([])).toEqual(['(root): must be an object, got array []']);
    expect(validateOtlpJson({})).toEqual(['resourceSpans: missing (required)']);
  });

  it('reports every violation, not just the first', () => {
    const payload = goodPayload();
    span(payload).kind = 'SPAN_KIND_INTERNAL';
    span(payload, 1).parentSpanId = '';
    expect(validateOtlpJson(payload)).toEqual([
      `${SPAN}.kind: must be an integer 0..5 (enum names like "SPAN_KIND_CLIENT" are not allowed in OTLP/JSON), got "SPAN_KIND_INTERNAL"`,
      'resourceSpans[0].scopeSpans[0].spans[1].parentSpanId: empty string (omit it on root spans)',
    ]);
  });
});

function post(url: string, body: BodyInit, headers: Record<string, string> = {}) {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
}

describe('startOtlpReceiver', () => {
  let receiver: OtlpReceiver;
  beforeAll(async () => {
    receiver = await startOtlpReceiver();
  });
  afterEach(() => receiver.reset());
  afterAll(() => receiver.close());

  it('accepts a valid export and flattens the spans', async () => {
    const res = await post(receiver.url, JSON.stringify(goodPayload()));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual({ partialSuccess: {} });
    expect(receiver.rejected).toEqual([]);
    expect(receiver.spans).toHaveLength(2);
    const [root, child] = receiver.spans;
    expect(root).toEqual({
      traceId: TRACE,
      spanId: ROOT,
      name: 'documentLoad',
      kind: 1,
      startTimeUnixNano: '1700000000000000000',
      endTimeUnixNano: '1700000000500000000',
      attributes: { s: 'x', i: -42, d: 1.5, nan: NaN, b: true, a: ['p', 2], empty: [], kv: { inner: false }, bytes: 'AQID' },
      events: [{ name: 'mark', timeUnixNano: '1700000000100000000', attributes: { n: 1 } }],
      links: [],
      status: { code: 1 },
      resource: { 'service.name': 'shop' },
      scope: { name: 'tracelet', version: '0.1.0' },
      droppedAttributesCount: 0,
      droppedEventsCount: 0,
      droppedLinksCount: 0,
    });
    expect(child).toMatchObject({
      parentSpanId: ROOT,
      traceState: 'vendor=1',
      flags: 257,
      attributes: {},
      links: [{ traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), attributes: {} }],
      status: { code: 2, message: 'boom' },
      droppedAttributesCount: 2,
      droppedLinksCount: 1,
    });
    expect(receiver.requests).toEqual([{
      method: 'POST', path: '/v1/traces', bytes: JSON.stringify(goodPayload()).length, decodedBytes: JSON.stringify(goodPayload()).length, contentType: 'application/json',
      contentEncoding: undefined, origin: undefined, status: 200, spanCount: 2,
    }]);
  });

  it('rejects violations with 400 and keeps the body for the failure message', async () => {
    const payload = goodPayload();
    span(payload).parentSpanId = '';
    const res = await post(receiver.url, JSON.stringify(payload));
    expect(res.status).toBe(400);
    expect((await res.json()).message).toContain('parentSpanId: empty string');
    expect(receiver.spans).toEqual([]);
    expect(receiver.rejected).toEqual([{ violations: [`${SPAN}.parentSpanId: empty string (omit it on root spans)`], body: JSON.stringify(payload) }]);
    expect(receiver.requests[0]).toMatchObject({ status: 400, spanCount: 2 });
  });

  it('rejects invalid JSON', async () => {
    const res = await post(receiver.url, '{"resourceSpans":[');
    expect(res.status).toBe(400);
    expect(receiver.rejected[0].violations[0]).toMatch(/^body: invalid JSON: /);
  });

  it('accepts text/plain (sendBeacon) and gzip, and records both', async () => {
    const body = JSON.stringify(goodPayload());
    expect((await post(receiver.url, body, { 'content-type': 'text/plain;charset=UTF-8' })).status).toBe(200);
    expect((await post(receiver.url, new Uint8Array(gzipSync(body)), { 'content-encoding': 'gzip' })).status).toBe(200);
    expect(receiver.spans).toHaveLength(4);
    expect(receiver.requests.map((r) => [r.contentType, r.contentEncoding])).toEqual([
      ['text/plain;charset=UTF-8', undefined],
      ['application/json', 'gzip'],
    ]);
  });

  it('refuses a body whose Content-Encoding lies, either way, with 400', async () => {
    const body = JSON.stringify(goodPayload());
    const res = await post(receiver.url, body, { 'content-encoding': 'gzip' });
    expect(res.status).toBe(400);
    expect(receiver.rejected[0].violations[0]).toMatch(/^body: cannot gunzip: /);
    expect((await post(receiver.url, new Uint8Array(gzipSync(body)))).status).toBe(400);
    expect(receiver.rejected[1].violations[0]).toMatch(/^body: invalid JSON: /);
    expect(receiver.spans).toEqual([]);
  });

  it('a receiver started with gzip: false answers gzip bodies 415 and takes plain ones', async () => {
    const r = await startOtlpReceiver({ gzip: false });
    try {
      const body = JSON.stringify(goodPayload());
      expect((await post(r.url, new Uint8Array(gzipSync(body)), { 'content-encoding': 'gzip' })).status).toBe(415);
      expect((await post(r.url, body)).status).toBe(200);
      expect(r.spans).toHaveLength(2);
      expect(r.rejected).toEqual([]);
    } finally {
      await r.close();
    }
  });

  it('refuses other content types with 415', async () => {
    const res = await post(receiver.url, JSON.stringify(goodPayload()), { 'content-type': 'application/x-protobuf' });
    expect(res.status).toBe(415);
    expect(receiver.rejected[0].violations).toEqual(['content-type: must be application/json (or text/plain from sendBeacon), got "application/x-protobuf"']);
    expect(receiver.spans).toEqual([]);
  });

  it('refuses bodies over 8 MiB with 413', async () => {
    const res = await post(receiver.url, new Uint8Array(MAX_BODY_BYTES + 1).fill(0x20));
    expect(res.status).toBe(413);
    expect(receiver.requests[0].bytes).toBe(MAX_BODY_BYTES + 1);
    expect(receiver.rejected[0].violations).toEqual([`body: larger than ${MAX_BODY_BYTES} bytes`]);
  });

  it('answers 404 elsewhere', async () => {
    expect((await fetch(receiver.url)).status).toBe(404);
    expect((await post(receiver.origin + '/v1/metrics', '{}')).status).toBe(404);
    expect(receiver.requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual(['GET /v1/traces 404', 'POST /v1/metrics 404']);
  });

  it('lets the respond hook force statuses without storing spans', async () => {
    const seen: { bytes: number; attempt: number }[] = [];
    receiver.respond(({ bytes, attempt, body }) => {
      seen.push({ bytes, attempt });
      expect(JSON.parse(body)).toEqual(goodPayload());
      if (attempt === 1) return { status: 503, headers: { 'Retry-After': '1' } };
      if (attempt === 2) return 413;
      return 200;
    });
    const body = JSON.stringify(goodPayload());
    const first = await post(receiver.url, body);
    expect(first.status).toBe(503);
    expect(first.headers.get('retry-after')).toBe('1');
    expect((await post(receiver.url, body)).status).toBe(413);
    expect(receiver.spans).toEqual([]);
    expect((await post(receiver.url, body)).status).toBe(200);
    expect(receiver.spans).toHaveLength(2);
    expect(seen).toEqual([1, 2, 3].map((attempt) => ({ bytes: body.length, attempt })));
    expect(receiver.rejected).toEqual([]);
    // reset() drops the hook and restarts the attempt count.
    receiver.reset();
    expect((await post(receiver.url, body)).status).toBe(200);
  });

  it('still records bad payloads while the hook forces a status', async () => {
    receiver.respond(() => 503);
    const res = await post(receiver.url, JSON.stringify({ resourceSpans: [] }));
    expect(res.status).toBe(503);
    expect(receiver.rejected[0].violations).toEqual(['resourceSpans: empty array (senders should not send empty envelopes)']);
  });

  it('waitForSpans resolves once the predicate holds and explains a timeout', async () => {
    const waiting = receiver.waitForSpans((s) => s.some((x) => x.name === 'GET /api'), 2000);
    await post(receiver.url, JSON.stringify(goodPayload()));
    expect((await waiting).map((s) => s.name)).toEqual(['documentLoad', 'GET /api']);
    await expect(receiver.waitForSpans((s) => s.length > 5, 100)).rejects.toThrow(
      /after 100 ms; have 2 span\(s\): documentLoad, GET \/api; 1 request\(s\) \(POST 200\)/,
    );
  });

  it('listens on 127.0.0.1 only', async () => {
    expect(receiver.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1\/traces$/);
    expect(receiver.server.address()).toMatchObject({ address: '127.0.0.1', family: 'IPv4' });
    const port = Number(new URL(receiver.url).port);
    const others = Object.values(networkInterfaces()).flat()
      .filter((a) => a !== undefined && a.address !== '127.0.0.1' && !a.address.startsWith('fe80'))
      .map((a) => a!.address);
    for (const host of others) {
      const error = await new Promise<NodeJS.ErrnoException | undefined>((done) => {
        const socket = connect({ host, port });
        socket.once('connect', () => {
          socket.destroy();
          done(undefined);
        });
        socket.once('error', done);
      });
      expect(error?.code, `connect to ${host}:${port}`).toBe('ECONNREFUSED');
    }
  });
});

describe('receiver CORS (as the Collector with cors.allowed_origins)', () => {
  const PAGE = 'http://127.0.0.1:4000';
  const receivers: OtlpReceiver[] = [];
  afterAll(() => Promise.all(receivers.map((r) => r.close())));
  const start = async (allowedOrigins?: string[] | '*') => {
    const r = await startOtlpReceiver(allowedOrigins === undefined ? {} : { allowedOrigins });
    receivers.push(r);
    return r;
  };
  const preflight = (r: OtlpReceiver, origin: string, method = 'POST', headers = 'content-type') => fetch(r.url, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': headers },
  });
  const cors = (res: Response) => Object.fromEntries([...res.headers].filter(([k]) => k.startsWith('access-control-') || k === 'vary'));

  it('answers an allowed preflight with echoed origin and headers', async () => {
    const r = await start([PAGE]);
    const res = await preflight(r, PAGE);
    expect(res.status).toBe(204);
    expect(cors(res)).toEqual({
      'access-control-allow-origin': PAGE,
      'access-control-allow-credentials': 'true',
      'access-control-allow-methods': 'POST',
      'access-control-allow-headers': 'content-type',
      'access-control-max-age': '7200',
      vary: 'Origin',
    });
    expect(r.requests[0]).toMatchObject({ method: 'OPTIONS', origin: PAGE, status: 204 });
  });

  it('echoes an allowed origin on the export response', async () => {
    const r = await start([PAGE]);
    const res = await post(r.url, JSON.stringify(goodPayload()), { origin: PAGE });
    expect(res.status).toBe(200);
    expect(cors(res)).toEqual({ 'access-control-allow-origin': PAGE, 'access-control-allow-credentials': 'true', vary: 'Origin' });
    expect(r.requests[0].origin).toBe(PAGE);
  });

  it('gives a disallowed origin no CORS headers, so the browser blocks it', async () => {
    const r = await start([PAGE]);
    const pre = await preflight(r, 'http://127.0.0.1:4001');
    expect(pre.status).toBe(204);
    expect(cors(pre)).toEqual({ vary: 'Origin' });
    expect(cors(await preflight(r, PAGE, 'PUT'))).toEqual({ vary: 'Origin' });
    const res = await post(r.url, JSON.stringify(goodPayload()), { origin: 'http://127.0.0.1:4001' });
    expect(cors(res)).toEqual({ vary: 'Origin' });
  });

  it('allows no cross origin by default', async () => {
    const r = await start();
    const pre = await preflight(r, PAGE);
    expect(pre.status).toBe(204);
    expect(cors(pre)).toEqual({});
    expect(cors(await post(r.url, JSON.stringify(goodPayload()), { origin: PAGE }))).toEqual({});
  });

  it('allowedHeaders [] is the Collector default: Content-Type passes, Content-Encoding is refused', async () => {
    const r = await startOtlpReceiver({ allowedOrigins: [PAGE], allowedHeaders: [], maxAge: undefined });
    receivers.push(r);
    expect(cors(await preflight(r, PAGE))).toEqual({
      'access-control-allow-origin': PAGE,
      'access-control-allow-credentials': 'true',
      'access-control-allow-methods': 'POST',
      'access-control-allow-headers': 'content-type',
      vary: 'Origin',
    });
    expect(cors(await preflight(r, PAGE, 'POST', 'content-encoding,content-type'))).toEqual({ vary: 'Origin' });
    const listed = await startOtlpReceiver({ allowedOrigins: [PAGE], allowedHeaders: ['Content-Encoding'] });
    receivers.push(listed);
    expect(cors(await preflight(listed, PAGE, 'POST', 'content-encoding,content-type'))['access-control-allow-headers']).toBe('content-encoding,content-type');
  });

  it("'*' allows any origin and still echoes it", async () => {
    const r = await start('*');
    const res = await preflight(r, 'http://127.0.0.1:5555');
    expect(res.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:5555');
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
  });
});
