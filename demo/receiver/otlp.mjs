/*
 * Reads an OTLP/JSON ExportTraceServiceRequest into flat spans, and says what makes it
 * invalid. Strict where a stored span would be meaningless (ids, names, kinds, timestamps,
 * attribute values), lenient where the OTLP spec lets a receiver be (unknown fields,
 * uppercase hex, 64-bit numbers written as JSON numbers).
 */

const isObj = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);
const MAX_ERRORS = 20;

export function readOtlpJson(body) {
  const errors = [];
  const spans = [];
  const fail = (path, message) => {
    if (errors.length < MAX_ERRORS) errors.push(`${path}: ${message}`);
  };
  const list = (v, path) => {
    if (Array.isArray(v)) return v;
    fail(path, 'must be an array');
    return [];
  };

  function hexId(v, path, length, optional = false) {
    if (optional && (v === undefined || v === '')) return undefined;
    if (typeof v !== 'string' || v.length !== length || !/^[0-9a-f]+$/i.test(v) || /^0+$/.test(v)) {
      return fail(path, `must be ${length} hex characters, not all zero`);
    }
    return v.toLowerCase();
  }

  /** fixed64 nanoseconds -> milliseconds with microsecond precision. */
  function nanos(v, path) {
    const ok = (typeof v === 'string' && /^\d{1,20}$/.test(v)) || (Number.isSafeInteger(v) && v >= 0);
    if (!ok || BigInt(v) === 0n) return fail(path, 'must be a non-zero count of nanoseconds (a decimal string)');
    return Number(BigInt(v) / 1000n) / 1000;
  }

  function anyValue(v, path) {
    if (!isObj(v)) return fail(path, 'must be an AnyValue object');
    if ('stringValue' in v && typeof v.stringValue === 'string') return v.stringValue;
    if ('boolValue' in v && typeof v.boolValue === 'boolean') return v.boolValue;
    if ('intValue' in v && /^-?\d+$/.test(String(v.intValue))) return Number(v.intValue);
    if ('doubleValue' in v && (typeof v.doubleValue === 'number' || ['NaN', 'Infinity', '-Infinity'].includes(v.doubleValue))) return Number(v.doubleValue);
    if ('bytesValue' in v && typeof v.bytesValue === 'string') return v.bytesValue;
    if ('arrayValue' in v && isObj(v.arrayValue)) return (v.arrayValue.values ?? []).map((x, i) => anyValue(x, `${path}.arrayValue.values[${i}]`));
    if ('kvlistValue' in v && isObj(v.kvlistValue)) return attributes(v.kvlistValue.values, `${path}.kvlistValue.values`);
    return fail(path, 'has no valid value field (stringValue, boolValue, intValue, doubleValue, arrayValue, kvlistValue, bytesValue)');
  }

  function attributes(kvs, path) {
    const out = {};
    if (kvs === undefined) return out;
    list(kvs, path).forEach((kv, i) => {
      if (!isObj(kv) || typeof kv.key !== 'string' || kv.key === '') return fail(`${path}[${i}]`, 'must be {key, value} with a non-empty key');
      out[kv.key] = anyValue(kv.value, `${path}[${i}].value`);
    });
    return out;
  }

  function span(s, path, resource, scope) {
    if (!isObj(s)) return fail(path, 'must be an object');
    const before = errors.length;
    const traceId = hexId(s.traceId, `${path}.traceId`, 32);
    const spanId = hexId(s.spanId, `${path}.spanId`, 16);
    const parentSpanId = hexId(s.parentSpanId, `${path}.parentSpanId`, 16, true);
    if (typeof s.name !== 'string' || s.name === '') fail(`${path}.name`, 'must be a non-empty string');
    const kind = s.kind ?? 0;
    if (!Number.isInteger(kind) || kind < 0 || kind > 5) fail(`${path}.kind`, 'must be an integer 0..5');
    const startMs = nanos(s.startTimeUnixNano, `${path}.startTimeUnixNano`);
    const endMs = nanos(s.endTimeUnixNano, `${path}.endTimeUnixNano`);
    if (endMs < startMs) fail(`${path}.endTimeUnixNano`, 'is before startTimeUnixNano');
    const status = isObj(s.status) ? s.status : {};
    const code = status.code ?? 0;
    if (!Number.isInteger(code) || code < 0 || code > 2) fail(`${path}.status.code`, 'must be 0, 1 or 2');
    const events = (s.events === undefined ? [] : list(s.events, `${path}.events`)).map((e, i) => ({
      name: isObj(e) && typeof e.name === 'string' ? e.name : fail(`${path}.events[${i}].name`, 'must be a string'),
      timeMs: nanos(e?.timeUnixNano, `${path}.events[${i}].timeUnixNano`),
      attributes: attributes(e?.attributes, `${path}.events[${i}].attributes`),
    }));
    const attrs = attributes(s.attributes, `${path}.attributes`);
    if (errors.length > before) return undefined;
    return {
      traceId, spanId, parentSpanId, name: s.name, kind, startMs, endMs, attributes: attrs, events,
      status: { code, message: typeof status.message === 'string' ? status.message : '' },
      service: String(resource['service.name'] ?? 'unknown_service'),
      resource, scope,
    };
  }

  if (!isObj(body)) fail('(root)', 'must be an object with resourceSpans');
  else {
    list(body.resourceSpans, 'resourceSpans').forEach((rs, i) => {
      const p = `resourceSpans[${i}]`;
      if (!isObj(rs)) return fail(p, 'must be an object');
      const resource = attributes(isObj(rs.resource) ? rs.resource.attributes : undefined, `${p}.resource.attributes`);
      list(rs.scopeSpans, `${p}.scopeSpans`).forEach((ss, j) => {
        const sp = `${p}.scopeSpans[${j}]`;
        if (!isObj(ss)) return fail(sp, 'must be an object');
        const scope = { name: String(ss.scope?.name ?? ''), version: String(ss.scope?.version ?? '') };
        list(ss.spans, `${sp}.spans`).forEach((s, k) => {
          const read = span(s, `${sp}.spans[${k}]`, resource, scope);
          if (read) spans.push(read);
        });
      });
    });
  }
  return { spans, errors };
}
