/** A tiny OTLP/HTTP JSON span exporter: encodes ended spans and posts them in small batches. */

function anyValue(v) {
  if (typeof v === 'boolean') return { boolValue: v };
  if (typeof v === 'number') return Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v };
  return { stringValue: String(v) };
}

const keyValues = (attrs) => Object.entries(attrs).map(([key, value]) => ({ key, value: anyValue(value) }));

/** An ExportTraceServiceRequest for spans made by tracing.mjs; 64-bit integers are strings in OTLP/JSON. */
export function encodeSpans(resource, scope, spans) {
  return {
    resourceSpans: [{
      resource: { attributes: keyValues(resource) },
      scopeSpans: [{
        scope,
        spans: spans.map((s) => ({
          traceId: s.traceId,
          spanId: s.spanId,
          ...(s.parentSpanId && { parentSpanId: s.parentSpanId }),
          name: s.name,
          kind: s.kind,
          startTimeUnixNano: String(s.startNanos),
          endTimeUnixNano: String(s.endNanos),
          attributes: keyValues(s.attributes),
          events: s.events.map((e) => ({ name: e.name, timeUnixNano: String(e.timeNanos), attributes: keyValues(e.attributes) })),
          status: s.status,
        })),
      }],
    }],
  };
}

/** Collects ended spans and posts them to `endpoint` at most every `delayMs`. */
export function createExporter({ endpoint, resource, scope, delayMs = 500 }) {
  let queue = [];
  let timer;
  async function flush() {
    clearTimeout(timer);
    timer = undefined;
    if (queue.length === 0) return;
    const batch = queue;
    queue = [];
    try {
      const res = await fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(encodeSpans(resource, scope, batch)),
      });
      if (!res.ok) console.error(`[origin] export got ${res.status}: ${await res.text()}`);
    } catch (err) {
      console.error(`[origin] export failed: ${err.message}`);
    }
  }
  return {
    export(span) {
      // Bounded like any agent: a receiver that is down must not grow the origin's memory.
      if (queue.length < 2048) queue.push(span);
      timer ??= setTimeout(flush, delayMs);
    },
    flush,
  };
}
