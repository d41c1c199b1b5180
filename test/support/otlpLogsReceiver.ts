import { gunzipSync } from 'node:zlib';
import { startHttpServer } from './http';
import { validateOtlpJson } from './otlpReceiver';

/*
 * A strict OTLP/HTTP JSON receiver for logs (opentelemetry-proto logs.proto, JSON mapping):
 * POST …/v1/logs, gzip or identity, ExportLogsServiceRequest. Anything off the encoding is
 * answered 400 and listed in `rejected`: unknown keys, non-decimal-string 64-bit times,
 * ids that are not lowercase hex of the right length (or one without the other), severity
 * numbers outside 1–24, a body that is not an AnyValue. POST /v1/traces on the same port
 * is checked with the trace receiver's validator and counted, so an edge agent can point
 * its one endpoint here.
 */

export interface ReceivedLog {
  timeUnixNano: string;
  severityNumber: number;
  severityText: string;
  body: string;
  traceId?: string;
  spanId?: string;
  flags?: number;
  resource: Record<string, unknown>;
  scope: string;
}

export interface OtlpLogsReceiver {
  /** The traces endpoint (`…/v1/traces`); logs go to `…/v1/logs`. */
  url: string;
  logs: ReceivedLog[];
  /** POSTs per path (any path ending in /v1/logs or /v1/traces is served). */
  posts: Record<string, number>;
  rejected: { path: string; violations: string[] }[];
  waitForLogs(predicate: (logs: ReceivedLog[]) => boolean, timeoutMs?: number): Promise<ReceivedLog[]>;
  close(): Promise<void>;
}

const DECIMAL = /^(0|[1-9][0-9]*)$/;
const HEX32 = /^(?!0{32})[0-9a-f]{32}$/;
const HEX16 = /^(?!0{16})[0-9a-f]{16}$/;
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function onlyKeys(o: Record<string, unknown>, allowed: string[], path: string, out: string[]): void {
  for (const k of Object.keys(o)) if (!allowed.includes(k)) out.push(`${path}.${k}: unknown key`);
}

function anyValue(v: unknown, path: string, out: string[]): string | undefined {
  if (!isObj(v) || Object.keys(v).length !== 1) {
    out.push(`${path}: not an AnyValue with one field`);
    return undefined;
  }
  const [k, x] = Object.entries(v)[0];
  if (k === 'stringValue' && typeof x === 'string') return x;
  if (k === 'intValue' && typeof x === 'string' && /^-?(0|[1-9][0-9]*)$/.test(x)) return x;
  if (k === 'boolValue' && typeof x === 'boolean') return String(x);
  if (k === 'doubleValue' && typeof x === 'number') return String(x);
  out.push(`${path}.${k}: bad AnyValue`);
  return undefined;
}

function attributes(list: unknown, path: string, out: string[]): Record<string, unknown> {
  const attrs: Record<string, unknown> = {};
  if (list === undefined) return attrs;
  if (!Array.isArray(list)) {
    out.push(`${path}: not an array`);
    return attrs;
  }
  list.forEach((kv, i) => {
    if (!isObj(kv) || typeof kv.key !== 'string' || !kv.key) return out.push(`${path}[${i}]: not a KeyValue`);
    onlyKeys(kv, ['key', 'value'], `${path}[${i}]`, out);
    if (kv.key in attrs) out.push(`${path}[${i}].key: duplicate ${kv.key}`);
    attrs[kv.key] = anyValue(kv.value, `${path}[${i}].value`, out);
  });
  return attrs;
}

/** Violations of the OTLP/JSON logs encoding, and the records when there are none. */
export function validateLogs(body: unknown): { violations: string[]; logs: ReceivedLog[] } {
  const out: string[] = [];
  const logs: ReceivedLog[] = [];
  if (!isObj(body) || !Array.isArray(body.resourceLogs)) return { violations: ['resourceLogs: missing or not an array'], logs };
  onlyKeys(body, ['resourceLogs'], '', out);
  body.resourceLogs.forEach((rl: unknown, i: number) => {
    const p = `resourceLogs[${i}]`;
    if (!isObj(rl)) return out.push(`${p}: not an object`);
    onlyKeys(rl, ['resource', 'scopeLogs', 'schemaUrl'], p, out);
    const resource = isObj(rl.resource) ? attributes(rl.resource.attributes, `${p}.resource.attributes`, out) : {};
    if (!Array.isArray(rl.scopeLogs) || !rl.scopeLogs.length) return out.push(`${p}.scopeLogs: missing or empty`);
    rl.scopeLogs.forEach((sl: unknown, j: number) => {
      const q = `${p}.scopeLogs[${j}]`;
      if (!isObj(sl) || !Array.isArray(sl.logRecords)) return out.push(`${q}.logRecords: missing`);
      onlyKeys(sl, ['scope', 'logRecords', 'schemaUrl'], q, out);
      const scope = isObj(sl.scope) && typeof sl.scope.name === 'string' ? sl.scope.name : '';
      sl.logRecords.forEach((r: unknown, k: number) => {
        const w = `${q}.logRecords[${k}]`;
        if (!isObj(r)) return out.push(`${w}: not an object`);
        onlyKeys(r, ['timeUnixNano', 'observedTimeUnixNano', 'severityNumber', 'severityText', 'body', 'attributes', 'droppedAttributesCount', 'flags', 'traceId', 'spanId', 'eventName'], w, out);
        for (const t of ['timeUnixNano', 'observedTimeUnixNano']) {
          if (r[t] !== undefined && !(typeof r[t] === 'string' && DECIMAL.test(r[t] as string))) out.push(`${w}.${t}: not a decimal string`);
        }
        if (r.severityNumber !== undefined && !(Number.isInteger(r.severityNumber) && (r.severityNumber as number) >= 1 && (r.severityNumber as number) <= 24)) out.push(`${w}.severityNumber: not 1..24`);
        if (r.severityText !== undefined && typeof r.severityText !== 'string') out.push(`${w}.severityText: not a string`);
        if ((r.traceId === undefined) !== (r.spanId === undefined)) out.push(`${w}: traceId and spanId must come together`);
        if (r.traceId !== undefined && !(typeof r.traceId === 'string' && HEX32.test(r.traceId))) out.push(`${w}.traceId: not 32 lowercase hex`);
        if (r.spanId !== undefined && !(typeof r.spanId === 'string' && HEX16.test(r.spanId))) out.push(`${w}.spanId: not 16 lowercase hex`);
        if (r.flags !== undefined && !(Number.isInteger(r.flags) && (r.flags as number) >= 0)) out.push(`${w}.flags: not an unsigned integer`);
        attributes(r.attributes, `${w}.attributes`, out);
        const text = r.body === undefined ? '' : anyValue(r.body, `${w}.body`, out);
        logs.push({
          timeUnixNano: String(r.timeUnixNano),
          severityNumber: r.severityNumber as number,
          severityText: String(r.severityText),
          body: text ?? '',
          traceId: r.traceId as string | undefined,
          spanId: r.spanId as string | undefined,
          flags: r.flags as number | undefined,
          resource,
          scope,
        });
      });
    });
  });
  return { violations: out, logs: out.length ? [] : logs };
}

export async function startOtlpLogsReceiver(): Promise<OtlpLogsReceiver> {
  const logs: ReceivedLog[] = [];
  const posts: Record<string, number> = {};
  const rejected: { path: string; violations: string[] }[] = [];
  const server = await startHttpServer((req, res, raw) => {
    const path = req.url ?? '';
    if (req.method !== 'POST' || !/\/v1\/(logs|traces)$/.test(path)) return void res.writeHead(404).end();
    posts[path] = (posts[path] ?? 0) + 1;
    let violations: string[];
    let received: ReceivedLog[] = [];
    try {
      const text = (req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8');
      if (req.headers['content-type'] !== 'application/json') throw new Error(`content-type ${req.headers['content-type']}`);
      const body = JSON.parse(text);
      if (path.endsWith('/v1/logs')) ({ violations, logs: received } = validateLogs(body));
      else violations = validateOtlpJson(body);
    } catch (e) {
      violations = [`unreadable: ${(e as Error).message}`];
    }
    if (violations.length) {
      rejected.push({ path, violations });
      return void res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ violations }));
    }
    logs.push(...received);
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
  return {
    url: server.url + '/v1/traces',
    logs,
    posts,
    rejected,
    async waitForLogs(predicate, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(logs)) {
        if (Date.now() > deadline) throw new Error(`waitForLogs: still false after ${timeoutMs} ms; have ${logs.length} log(s), rejected ${JSON.stringify(rejected).slice(0, 500)}`);
        await new Promise((r) => setTimeout(r, 25));
      }
      return logs;
    },
    close: () => server.close(),
  };
}
