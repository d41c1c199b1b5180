import type { Attributes, HrTime, Link } from '@opentelemetry/api';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace-base';
import { URL_ATTRIBUTES } from './redact';

/*
 * OTLP/HTTP JSON encoding, by hand: the stock exporter costs about 4.4 KB gzip, and
 * encoding span by span lets the pipeline size batches in bytes before it builds them.
 * Rules (opentelemetry-proto, JSON mapping): lowerCamelCase keys, hex ids, integer
 * enums, 64-bit integers as decimal strings, no empty parentSpanId, defaults omitted.
 */

/** Longest string value kept; longer ones are cut so one span cannot outgrow a batch. */
export const MAX_STRING_LENGTH = 4096;

const str = JSON.stringify;

/** A name set by user code, as an OTLP string: whatever it was (a symbol, an object, a cyclic one), never invalid JSON. */
function text(v: unknown, fallback: string): string {
  try {
    return str(typeof v === 'string' ? v : v == null || v === '' ? fallback : String(v));
  } catch {
    return str(fallback);
  }
}

/** HrTime [seconds, nanos] as a decimal string without losing precision past 2^53. */
export function hrTimeToNanos(t: HrTime): string {
  const s = Math.max(0, Math.floor(t[0]));
  const ns = Math.min(999_999_999, Math.max(0, Math.round(t[1])));
  return s === 0 ? String(ns) : s + String(ns).padStart(9, '0');
}

function anyValue(v: unknown, depth = 0): string | undefined {
  switch (typeof v) {
    case 'string':
      return '{"stringValue":' + str(v.length > MAX_STRING_LENGTH ? v.slice(0, MAX_STRING_LENGTH) : v) + '}';
    case 'boolean':
      return '{"boolValue":' + v + '}';
    case 'number':
      if (Number.isSafeInteger(v)) return '{"intValue":"' + v + '"}';
      return '{"doubleValue":' + (Number.isFinite(v) ? str(v) : '"' + String(v) + '"') + '}';
    case 'bigint':
      return BigInt.asIntN(64, v) === v ? '{"intValue":"' + v + '"}' : anyValue(String(v));
    case 'object': {
      if (v === null || depth > 2 || !Array.isArray(v)) return undefined;
      const values: string[] = [];
      for (const x of v) {
        const e = anyValue(x, depth + 1);
        if (e) values.push(e);
      }
      return '{"arrayValue":{"values":[' + values.join(',') + ']}}';
    }
    default:
      // functions, symbols, undefined: nothing a collector can store.
      return undefined;
  }
}

/** Rewrites URL-valued attributes on their way out (privacy redaction). */
export type UrlRedactor = (url: string) => string;

/** Attribute keys as JSON, remembered: a few dozen names make up nearly every span. */
const keyJson = new Map<string, string>();
const KEYS_REMEMBERED = 512;

function encodeKey(key: string): string {
  let k = keyJson.get(key);
  if (k === undefined) {
    k = '{"key":' + str(key) + ',"value":';
    if (keyJson.size < KEYS_REMEMBERED) keyJson.set(key, k);
  }
  return k;
}

/** `"key":[...]` for a non-empty attribute list, else ''. Values that cannot be encoded are skipped. */
export function encodeAttributes(attrs: Attributes | undefined, field = 'attributes', redact?: UrlRedactor): string {
  if (!attrs) return '';
  let out = '';
  for (const key in attrs) {
    if (!key) continue;
    let value = attrs[key];
    if (redact && typeof value === 'string' && URL_ATTRIBUTES.has(key)) value = redact(value);
    const v = anyValue(value);
    if (v) out += (out ? ',' : '') + encodeKey(key) + v + '}';
  }
  return out ? ',"' + field + '":[' + out + ']' : '';
}

const dropped = (name: string, n: number | undefined) => (n ? ',"' + name + '":' + n : '');

function encodeEvent(e: TimedEvent): string {
  return '{"timeUnixNano":"' + hrTimeToNanos(e.time) + '","name":' + text(e.name, '') +
    encodeAttributes(e.attributes) + dropped('droppedAttributesCount', e.droppedAttributesCount) + '}';
}

const HEX32 = /^[0-9a-f]{32}$/;
const HEX16 = /^[0-9a-f]{16}$/;
const DIGITS = /^\d+$/;

/** A link whose ids are not OTLP hex cannot be sent; it is skipped (and counted as dropped). */
const validLink = (l: Link) => HEX32.test(l.context.traceId) && HEX16.test(l.context.spanId);

function encodeLink(l: Link): string {
  const ts = l.context.traceState?.serialize();
  return '{"traceId":"' + l.context.traceId + '","spanId":"' + l.context.spanId + '"' +
    (ts ? ',"traceState":' + str(ts) : '') + encodeAttributes(l.attributes) +
    dropped('droppedAttributesCount', l.droppedAttributesCount) + '}';
}

/** One span as an OTLP/JSON object. Throws on a span without valid ids. */
export function encodeSpan(span: ReadableSpan, redact?: UrlRedactor): string {
  const sc = span.spanContext();
  if (!HEX32.test(sc.traceId) || !HEX16.test(sc.spanId)) throw new Error('invalid span ids');
  const parent = span.parentSpanContext;
  const ts = sc.traceState?.serialize();
  const status = span.status;
  let out = '{"traceId":"' + sc.traceId + '","spanId":"' + sc.spanId + '"';
  if (ts) out += ',"traceState":' + str(ts);
  if (parent && HEX16.test(parent.spanId) && !/^0+$/.test(parent.spanId)) out += ',"parentSpanId":"' + parent.spanId + '"';
  // API SpanKind counts from INTERNAL=0; OTLP reserves 0 for UNSPECIFIED. A kind outside the enum
  // (plain JS can pass anything) would get the whole batch refused: it is sent as INTERNAL.
  out += ',"name":' + text(span.name || 'span', 'span') + ',"kind":' + (span.kind >= 0 && span.kind <= 4 ? (span.kind | 0) + 1 : 1);
  const start = hrTimeToNanos(span.startTime);
  let end = hrTimeToNanos(span.endTime);
  // A NaN or infinite time is no number: the span cannot be sent (as BigInt() refused it before).
  if (!DIGITS.test(start) || !DIGITS.test(end)) throw new Error('invalid span times');
  // Decimal strings without leading zeros: the shorter is the smaller, else compare digits (no BigInt per span).
  if (end.length < start.length || (end.length === start.length && end < start)) end = start;
  out += ',"startTimeUnixNano":"' + start + '","endTimeUnixNano":"' + end + '"';
  out += encodeAttributes(span.attributes, 'attributes', redact) + dropped('droppedAttributesCount', span.droppedAttributesCount);
  if (span.events.length) out += ',"events":[' + span.events.map(encodeEvent).join(',') + ']';
  out += dropped('droppedEventsCount', span.droppedEventsCount);
  const links = span.links.length ? span.links.filter(validLink) : span.links;
  if (links.length) out += ',"links":[' + links.map(encodeLink).join(',') + ']';
  out += dropped('droppedLinksCount', span.droppedLinksCount + span.links.length - links.length);
  if (status.code) {
    out += ',"status":{"code":' + status.code + (status.message ? ',"message":' + str(status.message) : '') + '}';
  }
  return out + '}';
}

export interface Scope { name: string; version?: string }

export function encodeScope(scope: Scope): string {
  return '{"name":' + text(scope.name || 'tracelet', 'tracelet') + (scope.version ? ',"version":' + text(scope.version, '') : '') + '}';
}

const NON_ASCII = /[^\0-\x7f]/;

/** UTF-8 byte length without allocating (TextEncoder would copy every batch). */
export function utf8Length(s: string): number {
  // Span JSON is nearly always ASCII: one native scan instead of a loop per character.
  if (!NON_ASCII.test(s)) return s.length;
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff) {
      // A surrogate pair: 2 UTF-16 units, 4 bytes.
      i++;
      n += 2;
    } else n += 2;
  }
  return n;
}

/** An encoded span with the resource and scope it belongs to: what batches and storage hold. */
export interface EncodedSpan {
  resource: string;
  scope: string;
  span: string;
}

/**
 * Builds one request body by adding encoded spans until a byte limit, so the caller
 * knows the exact size before it sends. Spans of one resource share one `resourceSpans`
 * entry, and of one scope one `scopeSpans` entry.
 */
export class BodyBuilder {
  private readonly groups = new Map<string, Map<string, string[]>>();
  // '{"resourceSpans":[' + ']}'
  private size = 20;
  count = 0;

  get bytes(): number {
    return this.size;
  }

  /** Bytes `add` would grow the body by. */
  cost(item: EncodedSpan): number {
    const scopes = this.groups.get(item.resource);
    const spanBytes = utf8Length(item.span);
    if (scopes?.has(item.scope)) return 1 + spanBytes;
    // {"scope":S,"spans":[…]} is 21 bytes around S; {"resource":R,"scopeSpans":[…]} 29 around R.
    const newScope = 21 + utf8Length(item.scope) + spanBytes;
    if (!scopes) return (this.groups.size ? 1 : 0) + 29 + utf8Length(item.resource) + newScope;
    return 1 + newScope;
  }

  add(item: EncodedSpan, cost = this.cost(item)): void {
    let scopes = this.groups.get(item.resource);
    if (!scopes) this.groups.set(item.resource, (scopes = new Map()));
    const spans = scopes.get(item.scope);
    if (spans) spans.push(item.span);
    else scopes.set(item.scope, [item.span]);
    this.size += cost;
    this.count++;
  }

  build(): string {
    const rs: string[] = [];
    this.groups.forEach((scopes, resource) => {
      const ss: string[] = [];
      scopes.forEach((spans, scope) => ss.push('{"scope":' + scope + ',"spans":[' + spans.join(',') + ']}'));
      rs.push('{"resource":' + resource + ',"scopeSpans":[' + ss.join(',') + ']}');
    });
    return '{"resourceSpans":[' + rs.join(',') + ']}';
  }
}

/** `{"attributes":[...]}` for the resource, computed once per agent. */
export function encodeResource(attrs: Attributes): string {
  return '{' + encodeAttributes(attrs).slice(1) + '}';
}
