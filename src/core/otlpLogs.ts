import { MAX_STRING_LENGTH, encodeScope } from './otlp';
import { msToNanos } from './ids';

/*
 * OTLP/HTTP JSON log records (opentelemetry-proto logs.proto, JSON mapping): what a
 * `console` call inside a traced handler becomes. Severity numbers from the logs data
 * model: DEBUG 5, INFO 9, WARN 13, ERROR 17.
 */

export type ConsoleLevel = 'debug' | 'log' | 'info' | 'warn' | 'error';

export const SEVERITY: Record<ConsoleLevel, [number, string]> = {
  debug: [5, 'DEBUG'],
  log: [9, 'INFO'],
  info: [9, 'INFO'],
  warn: [13, 'WARN'],
  error: [17, 'ERROR'],
};

export interface LogRecord {
  timeMs: number;
  level: ConsoleLevel;
  message: string;
  traceId?: string;
  spanId?: string;
  sampled?: boolean;
}

/** One `logRecords` entry. */
export function encodeLogRecord(r: LogRecord): string {
  const [num, text] = SEVERITY[r.level];
  const t = msToNanos(r.timeMs);
  const body = r.message.length > MAX_STRING_LENGTH ? r.message.slice(0, MAX_STRING_LENGTH) : r.message;
  return (
    '{"timeUnixNano":"' + t + '","observedTimeUnixNano":"' + t + '","severityNumber":' + num + ',"severityText":"' + text + '"' +
    ',"body":{"stringValue":' + JSON.stringify(body) + '}' +
    (r.traceId && r.spanId ? ',"traceId":"' + r.traceId + '","spanId":"' + r.spanId + '","flags":' + (r.sampled ? 1 : 0) : '') +
    '}'
  );
}

/** A whole export body: one resource, scope `tracelet`, the records. */
export function encodeLogs(resourceJson: string, records: readonly string[]): string {
  return '{"resourceLogs":[{"resource":' + resourceJson + ',"scopeLogs":[{"scope":' + encodeScope({ name: 'tracelet' }) + ',"logRecords":[' + records.join(',') + ']}]}]}';
}

/** `/v1/logs` next to a `/v1/traces` endpoint (any other path gets `/v1/logs` beside its last segment). */
export function logsEndpoint(tracesEndpoint: string): string {
  const url = new URL(tracesEndpoint);
  url.pathname = /\/v1\/traces\/?$/.test(url.pathname) ? url.pathname.replace(/\/v1\/traces\/?$/, '/v1/logs') : url.pathname.replace(/\/[^/]*$/, '') + '/v1/logs';
  return url.href;
}

const MAX_DEPTH = 2;

function formatValue(v: unknown, depth = 0): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'bigint') return v + 'n';
  if (v instanceof Error) return (v.stack && v.stack.includes(v.message) ? v.stack : v.name + ': ' + v.message);
  if (typeof v !== 'object' || v === null) return String(v);
  if (depth >= MAX_DEPTH) return Array.isArray(v) ? '[Array]' : '[Object]';
  try {
    const seen = new WeakSet<object>();
    return JSON.stringify(v, (_k, x: unknown) => {
      if (typeof x === 'bigint') return x.toString() + 'n';
      if (typeof x === 'object' && x !== null) {
        if (seen.has(x)) return '[Circular]';
        seen.add(x);
      }
      return x;
    }) ?? String(v);
  } catch {
    return String(v);
  }
}

/**
 * The message as console would print it, near enough: `%s %d %i %f %o %O %j %%`
 * substitutions in a leading string, then every other argument after a space.
 */
export function formatMessage(args: readonly unknown[]): string {
  try {
    if (!args.length) return '';
    let rest = args.slice(1);
    let head: string;
    if (typeof args[0] === 'string') {
      head = args[0].replace(/%[sdifoOjc%]/g, (m) => {
        if (m === '%%') return '%';
        if (!rest.length) return m;
        const v = rest[0];
        rest = rest.slice(1);
        if (m === '%c') return '';
        if (m === '%d' || m === '%i') return String(m === '%i' ? parseInt(String(v), 10) : Number(v));
        if (m === '%f') return String(parseFloat(String(v)));
        return m === '%s' ? (typeof v === 'string' ? v : formatValue(v, MAX_DEPTH - 1)) : formatValue(v);
      });
    } else head = formatValue(args[0]);
    return [head, ...rest.map((v) => formatValue(v))].join(' ');
  } catch {
    return '[unformattable]';
  }
}
