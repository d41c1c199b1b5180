import { createServer, type IncomingMessage, type OutgoingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { listenOnLoopback, readBody } from './http';

/*
 * A strict OTLP/HTTP JSON trace receiver for tests. It follows opentelemetry-proto's
 * "JSON Protobuf Encoding" and trace/common/resource.proto, but is deliberately stricter
 * than a real receiver where the spec lets a receiver be lenient and tracelet should not be:
 * unknown fields are rejected (the spec says ignore them), ids must be lowercase hex (the
 * spec allows any case), 64-bit integers must be strings (proto3 JSON also accepts numbers),
 * and empty envelopes are rejected (the spec says senders SHOULD NOT create them).
 */

// ---------------------------------------------------------------- validation

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const at = (path: string, key: string) => (path ? `${path}.${key}` : key);

function show(v: unknown): string {
  if (v === undefined || v === null) return String(v);
  const json = JSON.stringify(v);
  const text = json.length > 60 ? json.slice(0, 57) + '...' : json;
  return typeof v === 'string' ? text : `${Array.isArray(v) ? 'array' : typeof v} ${text}`;
}

const snakeToCamel = (k: string) => k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

const UINT32_MAX = 0xffffffff;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;
const ANY_VALUE_FIELDS = ['stringValue', 'boolValue', 'intValue', 'doubleValue', 'arrayValue', 'kvlistValue', 'bytesValue'];

class Validator {
  readonly out: string[] = [];

  /**
   * `numericInt64`: also accept an `intValue` written as a JSON number that is a safe integer.
   * proto3 JSON parsers take numbers or strings for int64, and the official OpenTelemetry JS
   * exporter (otlp-transformer) writes attribute intValues as numbers; tracelet's canonical
   * form, which its own tests hold it to, is the string.
   */
  constructor(private readonly numericInt64 = false) {}

  private fail(path: string, message: string): void {
    this.out.push(`${path || '(root)'}: ${message}`);
  }

  /** An object with only `fields` as keys, or undefined (after reporting) when it is not an object. */
  private object(v: unknown, path: string, fields: readonly string[]): Obj | undefined {
    if (!isObj(v)) {
      this.fail(path, `must be an object, got ${show(v)}`);
      return undefined;
    }
    for (const key of Object.keys(v)) {
      if (fields.includes(key)) continue;
      const camel = snakeToCamel(key);
      this.fail(at(path, key), camel !== key && fields.includes(camel)
        ? `unknown field; OTLP/JSON keys are lowerCamelCase, use "${camel}"`
        : `unknown field (allowed: ${fields.join(', ')})`);
    }
    return v;
  }

  private array(v: unknown, path: string, nonEmpty = false): unknown[] {
    if (!Array.isArray(v)) {
      this.fail(path, `must be an array, got ${show(v)}`);
      return [];
    }
    if (nonEmpty && v.length === 0) this.fail(path, 'empty array (senders should not send empty envelopes)');
    return v;
  }

  private required(o: Obj, key: string, path: string): boolean {
    if (o[key] !== undefined) return true;
    this.fail(at(path, key), 'missing (required)');
    return false;
  }

  private string(v: unknown, path: string, nonEmpty = false): void {
    if (typeof v !== 'string') this.fail(path, `must be a string, got ${show(v)}`);
    else if (nonEmpty && v === '') this.fail(path, 'empty string');
  }

  private integer(v: unknown, path: string, min: number, max: number, hint = ''): void {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      this.fail(path, `must be an integer ${min}..${max}${hint}, got ${show(v)}`);
    }
  }

  private count(o: Obj, key: string, path: string): void {
    if (o[key] !== undefined) this.integer(o[key], at(path, key), 0, UINT32_MAX, ' (a uint32 JSON number)');
  }

  /** fixed64 nanoseconds: proto3 JSON writes 64-bit integers as decimal strings. */
  private nanos(v: unknown, path: string): bigint | undefined {
    if (typeof v !== 'string' || !/^\d+$/.test(v)) {
      this.fail(path, `must be a decimal string of digits (64-bit integers are strings in OTLP/JSON), got ${show(v)}`);
      return undefined;
    }
    const n = BigInt(v);
    if (n > UINT64_MAX) this.fail(path, `out of fixed64 range, got ${show(v)}`);
    else if (n === 0n) this.fail(path, 'zero (timestamps are semantically required)');
    return n;
  }

  /** trace/span ids: OTLP/JSON uses hex, not base64; tracelet must emit lowercase. */
  private hexId(v: unknown, path: string, hexChars: number, emptyHint = ''): void {
    if (v === '' && emptyHint) this.fail(path, `empty string (${emptyHint})`);
    else if (typeof v !== 'string' || !new RegExp(`^[0-9a-f]{${hexChars}}$`).test(v)) {
      this.fail(path, `must be ${hexChars} lowercase hex characters, got ${show(v)}`);
    } else if (/^0+$/.test(v)) this.fail(path, 'all zeros (invalid id)');
  }

  private traceState(o: Obj, path: string): void {
    if (o.traceState !== undefined) this.string(o.traceState, at(path, 'traceState'));
  }

  private flags(o: Obj, path: string): void {
    if (o.flags !== undefined) this.integer(o.flags, at(path, 'flags'), 0, UINT32_MAX, ' (fixed32)');
  }

  private attributesOf(o: Obj, path: string): void {
    if (o.attributes !== undefined) this.keyValues(o.attributes, at(path, 'attributes'));
  }

  keyValues(v: unknown, path: string): void {
    const seen = new Map<string, number>();
    this.array(v, path).forEach((kv, i) => {
      const p = `${path}[${i}]`;
      const o = this.object(kv, p, ['key', 'value']);
      if (!o) return;
      if (typeof o.key !== 'string' || o.key === '') this.fail(at(p, 'key'), `must be a non-empty string, got ${show(o.key)}`);
      else if (seen.has(o.key)) this.fail(at(p, 'key'), `duplicate key ${show(o.key)} (also at [${seen.get(o.key)}])`);
      else seen.set(o.key, i);
      if (this.required(o, 'value', p)) this.anyValue(o.value, at(p, 'value'));
    });
  }

  private anyValue(v: unknown, path: string): void {
    const o = this.object(v, path, ANY_VALUE_FIELDS);
    if (!o) return;
    const set = ANY_VALUE_FIELDS.filter((f) => o[f] !== undefined);
    if (set.length === 0) return this.fail(path, 'empty AnyValue (exactly one of stringValue, boolValue, intValue, doubleValue, arrayValue, kvlistValue, bytesValue is required)');
    if (set.length > 1) return this.fail(path, `more than one value field (${set.join(', ')}); AnyValue is a oneof`);
    const field = set[0];
    const x = o[field];
    const p = at(path, field);
    switch (field) {
      case 'stringValue':
        return this.string(x, p);
      case 'boolValue':
        if (typeof x !== 'boolean') this.fail(p, `must be a JSON boolean, got ${show(x)}`);
        return;
      case 'intValue':
        if (this.numericInt64 && Number.isSafeInteger(x)) return;
        if (typeof x !== 'string' || !/^-?\d+$/.test(x)) {
          this.fail(p, `must be a decimal string (int64 is a string in OTLP/JSON), got ${show(x)}`);
        } else if (BigInt(x) < INT64_MIN || BigInt(x) > INT64_MAX) this.fail(p, `out of int64 range, got ${show(x)}`);
        return;
      case 'doubleValue':
        // JSON numbers are always finite; proto3 JSON spells the others as strings.
        if (typeof x !== 'number' && x !== 'NaN' && x !== 'Infinity' && x !== '-Infinity') {
          this.fail(p, `must be a JSON number or "NaN"/"Infinity"/"-Infinity", got ${show(x)}`);
        }
        return;
      case 'bytesValue':
        // proto3 JSON bytes: standard or URL-safe base64, padding optional.
        if (typeof x !== 'string' || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(x) || x.replace(/=+$/, '').length % 4 === 1) {
          this.fail(p, `must be a base64 string, got ${show(x)}`);
        }
        return;
      case 'arrayValue': {
        const a = this.object(x, p, ['values']);
        // An absent `values` is proto3 JSON for an empty list.
        if (a && a.values !== undefined) this.array(a.values, at(p, 'values')).forEach((e, i) => this.anyValue(e, `${p}.values[${i}]`));
        return;
      }
      case 'kvlistValue': {
        const kv = this.object(x, p, ['values']);
        if (kv && kv.values !== undefined) this.keyValues(kv.values, at(p, 'values'));
        return;
      }
    }
  }

  request(body: unknown): void {
    const o = this.object(body, '', ['resourceSpans']);
    if (!o) return;
    if (!this.required(o, 'resourceSpans', '')) return;
    this.array(o.resourceSpans, 'resourceSpans', true).forEach((rs, i) => this.resourceSpans(rs, `resourceSpans[${i}]`));
  }

  private resourceSpans(v: unknown, path: string): void {
    const o = this.object(v, path, ['resource', 'scopeSpans', 'schemaUrl']);
    if (!o) return;
    if (this.required(o, 'resource', path)) {
      const r = this.object(o.resource, at(path, 'resource'), ['attributes', 'droppedAttributesCount']);
      if (r) {
        this.attributesOf(r, at(path, 'resource'));
        this.count(r, 'droppedAttributesCount', at(path, 'resource'));
      }
    }
    if (o.schemaUrl !== undefined) this.string(o.schemaUrl, at(path, 'schemaUrl'));
    if (!this.required(o, 'scopeSpans', path)) return;
    this.array(o.scopeSpans, at(path, 'scopeSpans'), true).forEach((ss, i) => this.scopeSpans(ss, `${path}.scopeSpans[${i}]`));
  }

  private scopeSpans(v: unknown, path: string): void {
    const o = this.object(v, path, ['scope', 'spans', 'schemaUrl']);
    if (!o) return;
    if (this.required(o, 'scope', path)) {
      const sp = at(path, 'scope');
      const s = this.object(o.scope, sp, ['name', 'version', 'attributes', 'droppedAttributesCount']);
      if (s) {
        // An empty scope name is legal ("unknown"), a missing one is not what tracelet sends.
        if (this.required(s, 'name', sp)) this.string(s.name, at(sp, 'name'));
        if (s.version !== undefined) this.string(s.version, at(sp, 'version'));
        this.attributesOf(s, sp);
        this.count(s, 'droppedAttributesCount', sp);
      }
    }
    if (o.schemaUrl !== undefined) this.string(o.schemaUrl, at(path, 'schemaUrl'));
    if (!this.required(o, 'spans', path)) return;
    this.array(o.spans, at(path, 'spans'), true).forEach((s, i) => this.span(s, `${path}.spans[${i}]`));
  }

  private span(v: unknown, path: string): void {
    const o = this.object(v, path, [
      'traceId', 'spanId', 'traceState', 'parentSpanId', 'flags', 'name', 'kind', 'startTimeUnixNano',
      'endTimeUnixNano', 'attributes', 'droppedAttributesCount', 'events', 'droppedEventsCount', 'links',
      'droppedLinksCount', 'status',
    ]);
    if (!o) return;
    if (this.required(o, 'traceId', path)) this.hexId(o.traceId, at(path, 'traceId'), 32);
    if (this.required(o, 'spanId', path)) this.hexId(o.spanId, at(path, 'spanId'), 16);
    if (o.parentSpanId !== undefined) this.hexId(o.parentSpanId, at(path, 'parentSpanId'), 16, 'omit it on root spans');
    this.traceState(o, path);
    this.flags(o, path);
    if (this.required(o, 'name', path)) this.string(o.name, at(path, 'name'), true);
    if (this.required(o, 'kind', path)) {
      this.integer(o.kind, at(path, 'kind'), 0, 5, ' (enum names like "SPAN_KIND_CLIENT" are not allowed in OTLP/JSON)');
    }
    const start = this.required(o, 'startTimeUnixNano', path) ? this.nanos(o.startTimeUnixNano, at(path, 'startTimeUnixNano')) : undefined;
    const end = this.required(o, 'endTimeUnixNano', path) ? this.nanos(o.endTimeUnixNano, at(path, 'endTimeUnixNano')) : undefined;
    if (start !== undefined && end !== undefined && end < start) {
      this.fail(at(path, 'endTimeUnixNano'), `before startTimeUnixNano (${end} < ${start})`);
    }
    this.attributesOf(o, path);
    this.count(o, 'droppedAttributesCount', path);
    this.count(o, 'droppedEventsCount', path);
    this.count(o, 'droppedLinksCount', path);
    if (o.events !== undefined) this.array(o.events, at(path, 'events')).forEach((e, i) => this.event(e, `${path}.events[${i}]`));
    if (o.links !== undefined) this.array(o.links, at(path, 'links')).forEach((l, i) => this.link(l, `${path}.links[${i}]`));
    if (o.status !== undefined) {
      const sp = at(path, 'status');
      const s = this.object(o.status, sp, ['code', 'message']);
      if (s && s.code !== undefined) {
        this.integer(s.code, at(sp, 'code'), 0, 2, ' (enum names like "STATUS_CODE_ERROR" are not allowed in OTLP/JSON)');
      }
      if (s && s.message !== undefined) this.string(s.message, at(sp, 'message'));
    }
  }

  private event(v: unknown, path: string): void {
    const o = this.object(v, path, ['timeUnixNano', 'name', 'attributes', 'droppedAttributesCount']);
    if (!o) return;
    if (this.required(o, 'timeUnixNano', path)) this.nanos(o.timeUnixNano, at(path, 'timeUnixNano'));
    if (this.required(o, 'name', path)) this.string(o.name, at(path, 'name'));
    this.attributesOf(o, path);
    this.count(o, 'droppedAttributesCount', path);
  }

  private link(v: unknown, path: string): void {
    const o = this.object(v, path, ['traceId', 'spanId', 'traceState', 'attributes', 'droppedAttributesCount', 'flags']);
    if (!o) return;
    if (this.required(o, 'traceId', path)) this.hexId(o.traceId, at(path, 'traceId'), 32);
    if (this.required(o, 'spanId', path)) this.hexId(o.spanId, at(path, 'spanId'), 16);
    this.traceState(o, path);
    this.attributesOf(o, path);
    this.count(o, 'droppedAttributesCount', path);
    this.flags(o, path);
  }
}

/** The span names of an OTLP/JSON trace body, in order. */
export const spanNamesOf = (body: string): string[] =>
  (JSON.parse(body) as { resourceSpans: { scopeSpans: { spans: { name: string }[] }[] }[] }).resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans.map((x) => x.name)));

/** Violations of the OTLP/JSON trace encoding in `body` (a parsed ExportTraceServiceRequest); empty when valid. */
export function validateOtlpJson(body: unknown, opts: { numericInt64?: boolean } = {}): string[] {
  const v = new Validator(opts.numericInt64);
  v.request(body);
  return v.out;
}

// ---------------------------------------------------------------- decoding (valid payloads only)

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  traceState?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: Record<string, unknown>;
  events: { name: string; timeUnixNano: string; attributes: Record<string, unknown> }[];
  links: { traceId: string; spanId: string; attributes: Record<string, unknown> }[];
  status: { code: number; message?: string };
  resource: Record<string, unknown>;
  scope: { name: string; version?: string };
  flags?: number;
  droppedAttributesCount: number;
  droppedEventsCount: number;
  droppedLinksCount: number;
}

/** AnyValue as a plain JS value. intValue becomes a Number (exact up to 2^53), bytesValue stays base64. */
function plain(v: Obj): unknown {
  if ('stringValue' in v) return v.stringValue;
  if ('boolValue' in v) return v.boolValue;
  if ('intValue' in v) return Number(v.intValue);
  if ('doubleValue' in v) return Number(v.doubleValue); // Number("NaN") etc. are the intended values
  if ('bytesValue' in v) return v.bytesValue;
  if ('arrayValue' in v) return (((v.arrayValue as Obj).values ?? []) as Obj[]).map(plain);
  return flatten((v.kvlistValue as Obj).values);
}

function flatten(kvs: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kv of (kvs ?? []) as { key: string; value: Obj }[]) out[kv.key] = plain(kv.value);
  return out;
}

function toReceivedSpans(body: Obj): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (const rs of body.resourceSpans as Obj[]) {
    const resource = flatten((rs.resource as Obj).attributes);
    for (const ss of rs.scopeSpans as Obj[]) {
      const sc = ss.scope as Obj;
      const scope = { name: sc.name as string, ...(sc.version !== undefined && { version: sc.version as string }) };
      for (const s of ss.spans as Obj[]) {
        const st = (s.status ?? {}) as Obj;
        out.push({
          traceId: s.traceId as string,
          spanId: s.spanId as string,
          ...(s.parentSpanId !== undefined && { parentSpanId: s.parentSpanId as string }),
          ...(s.traceState !== undefined && { traceState: s.traceState as string }),
          name: s.name as string,
          kind: s.kind as number,
          startTimeUnixNano: s.startTimeUnixNano as string,
          endTimeUnixNano: s.endTimeUnixNano as string,
          attributes: flatten(s.attributes),
          events: ((s.events ?? []) as Obj[]).map((e) => ({
            name: e.name as string,
            timeUnixNano: e.timeUnixNano as string,
            attributes: flatten(e.attributes),
          })),
          links: ((s.links ?? []) as Obj[]).map((l) => ({
            traceId: l.traceId as string,
            spanId: l.spanId as string,
            attributes: flatten(l.attributes),
          })),
          status: { code: (st.code ?? 0) as number, ...(st.message !== undefined && { message: st.message as string }) },
          resource,
          scope,
          ...(s.flags !== undefined && { flags: s.flags as number }),
          droppedAttributesCount: (s.droppedAttributesCount ?? 0) as number,
          droppedEventsCount: (s.droppedEventsCount ?? 0) as number,
          droppedLinksCount: (s.droppedLinksCount ?? 0) as number,
        });
      }
    }
  }
  return out;
}

/** Spans in a parsed body, whatever its validity, for the request log. */
function countSpans(body: unknown): number {
  let n = 0;
  const list = (v: unknown) => (Array.isArray(v) ? (v as unknown[]) : []);
  for (const rs of list(isObj(body) ? body.resourceSpans : undefined)) {
    for (const ss of list(isObj(rs) ? rs.scopeSpans : undefined)) n += list(isObj(ss) ? ss.spans : undefined).length;
  }
  return n;
}

// ---------------------------------------------------------------- server

/** A status, or a status with headers and `delayMs`: the spans are taken at once, the answer comes that much later. */
export type RespondHook = (req: { bytes: number; body: string; attempt: number; contentEncoding: string | undefined }) => number | { status: number; headers?: Record<string, string>; delayMs?: number };

export interface ReceivedRequest {
  method: string;
  path: string;
  /** Bytes on the wire (compressed, for a gzip body). */
  bytes: number;
  /** Bytes of the body after gunzip (the same as `bytes` without Content-Encoding). */
  decodedBytes: number;
  contentType: string | undefined;
  contentEncoding: string | undefined;
  origin: string | undefined;
  /** 0: the client went away before the body ended. */
  status: number;
  spanCount: number;
}

export interface OtlpReceiver {
  /** e.g. http://127.0.0.1:PORT/v1/traces */
  url: string;
  /** http://127.0.0.1:PORT */
  origin: string;
  /** Spans of accepted (200) requests, in arrival order. */
  spans: ReceivedSpan[];
  /** Requests that broke the encoding; e2e tests assert this stays empty. */
  rejected: { violations: string[]; body: string }[];
  /** Every request, preflights and 404s included. */
  requests: ReceivedRequest[];
  /**
   * Consulted first for every POST. A status other than 200 is sent as is (headers
   * added) and the spans are not stored; 200 means "handle normally" (headers still
   * added). The body is validated either way, so bad payloads still land in `rejected`.
   */
  respond(fn: RespondHook | null): void;
  waitForSpans(predicate: (spans: ReceivedSpan[]) => boolean, timeoutMs?: number): Promise<ReceivedSpan[]>;
  /** Forgets spans, rejections, requests and the attempt count, and removes the respond hook. */
  reset(): void;
  close(): Promise<void>;
  server: Server;
}

/** Bodies above this get 413. The spec recommends 20 MiB (the Collector default); tracelet batches are far smaller. */
export const MAX_BODY_BYTES = 8 * 1024 * 1024;

interface Reply {
  status: number;
  body: string;
  headers: OutgoingHttpHeaders;
  bytes: number;
  decodedBytes?: number;
  spanCount: number;
}

export interface ReceiverOptions {
  allowedOrigins?: string[] | '*';
  path?: string;
  /**
   * Request headers a CORS preflight may ask for besides the CORS-safelisted ones and
   * Content-Type (the Collector's `cors.allowed_headers`). Default '*': any. `[]` is the
   * Collector's default, which refuses a preflight asking for Content-Encoding.
   */
  allowedHeaders?: string[] | '*';
  /** Access-Control-Max-Age of preflight answers, in seconds; undefined sends none (the Collector's default). Default 7200. */
  maxAge?: number | undefined;
  /** False: gzip bodies get 415, as from a receiver that does not decompress. Default true. */
  gzip?: boolean;
  /** For senders other than tracelet, see Validator. */
  numericInt64?: boolean;
}

export async function startOtlpReceiver(opts: ReceiverOptions = {}): Promise<OtlpReceiver> {
  const tracesPath = opts.path ?? '/v1/traces';
  const allowed = opts.allowedOrigins ?? [];
  const allowedHeaders = opts.allowedHeaders ?? '*';
  const maxAge = 'maxAge' in opts ? opts.maxAge : 7200;
  const spans: ReceivedSpan[] = [];
  const rejected: OtlpReceiver['rejected'] = [];
  const requests: ReceivedRequest[] = [];
  let hook: RespondHook | null = null;
  let attempts = 0;

  const corsEnabled = allowed === '*' || allowed.length > 0;
  const originAllowed = (origin: string | undefined): origin is string =>
    origin !== undefined && (allowed === '*' || allowed.includes(origin));

  /*
   * CORS as the Collector's confighttp does it (rs/cors, AllowCredentials on, headers
   * allowed as with `allowed_headers: ["*"]` unless told otherwise): echo an allowed
   * Origin, nothing for others. Like the Collector, no Access-Control-Expose-Headers, so cross-origin
   * scripts cannot read Retry-After; and a POST from a disallowed origin is still
   * processed (CORS only hides the response), which matters for sendBeacon/no-cors.
   */
  function cors(req: IncomingMessage): OutgoingHttpHeaders {
    const origin = req.headers.origin;
    const headers: OutgoingHttpHeaders = corsEnabled ? { vary: 'Origin' } : {};
    if (!originAllowed(origin)) return headers;
    return { ...headers, 'access-control-allow-origin': origin, 'access-control-allow-credentials': 'true' };
  }

  function preflight(req: IncomingMessage): OutgoingHttpHeaders {
    const method = req.headers['access-control-request-method'];
    const base = cors(req);
    if (!('access-control-allow-origin' in base) || (method !== undefined && method.toUpperCase() !== 'POST')) {
      return corsEnabled ? { vary: 'Origin' } : {};
    }
    const requested = req.headers['access-control-request-headers'];
    // rs/cors: a preflight asking for a header not allowed gets no CORS headers at all.
    const implicit = ['accept', 'accept-language', 'content-language', 'content-type'];
    const ok = (h: string) => allowedHeaders === '*' || implicit.includes(h) || allowedHeaders.some((a) => a.toLowerCase() === h);
    if (requested !== undefined && !requested.split(',').every((h) => ok(h.trim().toLowerCase()))) return corsEnabled ? { vary: 'Origin' } : {};
    return {
      ...base,
      'access-control-allow-methods': 'POST',
      ...(requested !== undefined && { 'access-control-allow-headers': requested }),
      ...(maxAge !== undefined && { 'access-control-max-age': String(maxAge) }),
    };
  }

  /** Decodes, parses and validates one export body. */
  function inspect(req: IncomingMessage, raw: Buffer, overLimit: boolean) {
    const contentType = req.headers['content-type'];
    const encoding = req.headers['content-encoding']?.toLowerCase();
    const mime = contentType?.split(';')[0].trim().toLowerCase();
    // sendBeacon with a string body can only send text/plain, so that is accepted too.
    if (mime !== 'application/json' && mime !== 'text/plain') {
      return { text: raw.toString('utf8'), status: 415, violations: [`content-type: must be application/json (or text/plain from sendBeacon), got ${show(contentType)}`] };
    }
    if (overLimit) return { text: `(body over ${MAX_BODY_BYTES} bytes)`, status: 413, violations: [`body: larger than ${MAX_BODY_BYTES} bytes`] };
    let text: string;
    if (encoding === 'gzip' && opts.gzip === false) {
      return { text: raw.toString('latin1'), status: 415, violations: [], refused: true };
    }
    try {
      // A Content-Encoding that lies either way is refused: gzip that is not (gunzip fails),
      // or gzip bytes without it (not JSON).
      if (encoding === 'gzip') text = gunzipSync(raw, { maxOutputLength: MAX_BODY_BYTES }).toString('utf8');
      else if (encoding === undefined || encoding === 'identity') text = raw.toString('utf8');
      else return { text: raw.toString('latin1'), status: 415, violations: [`content-encoding: unsupported ${show(encoding)} (none or gzip)`] };
    } catch (err) {
      return { text: raw.toString('latin1'), status: 400, violations: [`body: cannot gunzip: ${(err as Error).message}`] };
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      return { text, status: 400, violations: [`body: invalid JSON: ${(err as Error).message}`] };
    }
    const violations = validateOtlpJson(parsed, { numericInt64: opts.numericInt64 });
    return { text, status: violations.length ? 400 : 200, violations, parsed, spanCount: countSpans(parsed) };
  }

  async function handleExport(req: IncomingMessage): Promise<Reply> {
    const attempt = ++attempts;
    const { body: raw, bytes, overLimit } = await readBody(req, MAX_BODY_BYTES);
    const result = inspect(req, raw, overLimit);
    if (result.violations.length) rejected.push({ violations: result.violations, body: result.text });
    const forced = hook?.({ bytes, body: result.text, attempt, contentEncoding: req.headers['content-encoding'] });
    const force = typeof forced === 'number' ? { status: forced, headers: {} } : forced;
    const reply = (status: number, body: unknown): Reply => ({
      status,
      body: JSON.stringify(body),
      headers: { ...cors(req), 'content-type': 'application/json', ...force?.headers },
      bytes,
      decodedBytes: Buffer.byteLength(result.text),
      spanCount: result.spanCount ?? 0,
    });
    if (force && force.status !== 200) return reply(force.status, { message: `status ${force.status} forced by receiver.respond()` });
    if ('refused' in result) return reply(415, { code: 3, message: 'content-encoding: gzip is not accepted here' });
    // 4xx bodies are a google.rpc.Status in OTLP/HTTP; code 3 is INVALID_ARGUMENT.
    if (result.status !== 200) return reply(result.status, { code: 3, message: result.violations.join('\n') });
    spans.push(...toReceivedSpans(result.parsed as Obj));
    if (force?.delayMs) await new Promise((r) => setTimeout(r, force.delayMs));
    return reply(200, { partialSuccess: {} });
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const method = req.method ?? 'GET';
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    // A client that goes away before its body ends (Node: 'error', "aborted") shows as status 0,
    // so a test that misses spans can tell "never sent" from "cut off" (see the catch below).
    req.once('error', () => requests.push({ method, path, bytes: 0, decodedBytes: 0, contentType: req.headers['content-type'], contentEncoding: req.headers['content-encoding'], origin: req.headers.origin, status: 0, spanCount: 0 }));
    let reply: Reply;
    if (path === tracesPath && method === 'POST') reply = await handleExport(req);
    else {
      const { bytes } = await readBody(req, 0);
      reply = path === tracesPath && method === 'OPTIONS'
        ? { status: 204, body: '', headers: preflight(req), bytes, spanCount: 0 }
        : { status: 404, body: 'not found', headers: { ...cors(req), 'content-type': 'text/plain' }, bytes, spanCount: 0 };
    }
    requests.push({
      method,
      path,
      bytes: reply.bytes,
      decodedBytes: reply.decodedBytes ?? reply.bytes,
      contentType: req.headers['content-type'],
      contentEncoding: req.headers['content-encoding'],
      origin: req.headers.origin,
      status: reply.status,
      spanCount: reply.spanCount,
    });
    res.writeHead(reply.status, reply.headers).end(reply.body);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      // A throwing respond hook or a receiver bug: make it visible, never a silent hang.
      rejected.push({ violations: [`receiver: ${err instanceof Error ? err.stack : String(err)}`], body: '' });
      if (res.headersSent) res.destroy();
      else res.writeHead(500, { 'content-type': 'text/plain' }).end(String(err));
    });
  });
  const loopback = await listenOnLoopback(server);

  return {
    url: loopback.url + tracesPath,
    origin: loopback.url,
    spans,
    rejected,
    requests,
    server,
    respond(fn) {
      hook = fn;
    },
    async waitForSpans(predicate, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (predicate(spans)) return spans.slice();
        if (Date.now() >= deadline) {
          const names = spans.map((s) => s.name).join(', ') || 'none';
          throw new Error(
            `waitForSpans: predicate still false after ${timeoutMs} ms; have ${spans.length} span(s): ${names}` +
              `; ${requests.length} request(s) (${requests.map((r) => `${r.method} ${r.status}`).join(', ') || 'none'})` +
              (rejected.length ? `; ${rejected.length} rejected: ${rejected.flatMap((r) => r.violations).slice(0, 5).join(' | ')}` : ''),
          );
        }
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    reset() {
      // In place, so arrays a test already holds stay live.
      spans.length = 0;
      rejected.length = 0;
      requests.length = 0;
      attempts = 0;
      hook = null;
    },
    close: loopback.close,
  };
}
