import type { AttributeValue } from '@opentelemetry/api';
import { ConfigError } from './configError';

export { ConfigError };

/** Options every runtime understands. */
export interface CoreOptions {
  /** `service.name` of every span. Required. */
  serviceName: string;
  /** OTLP/HTTP traces URL, e.g. `https://collector.example.com/v1/traces`. Required. */
  endpoint: string;
  serviceVersion?: string;
  /** Becomes `deployment.environment.name`. */
  environment?: string;
  /** Extra resource attributes. */
  attributes?: Record<string, AttributeValue>;
  /** Extra headers sent with every export (for example an API key). */
  headers?: Record<string, string>;
  /** Fraction of traces (browser: of sessions) recorded, 0..1. Default 1. */
  sampleRate?: number;
  /** Spans held while waiting for export; past it new spans are dropped and counted. Default 2048. */
  maxQueueSize?: number;
  /** Most spans in one export request. Default 512. */
  maxExportBatchSize?: number;
  /** How long a span may wait before it is exported, in ms. Default 5000. */
  scheduledDelayMillis?: number;
}

export interface CoreConfig {
  serviceName: string;
  endpoint: string;
  serviceVersion?: string;
  environment?: string;
  attributes: Record<string, AttributeValue>;
  headers: Record<string, string>;
  sampleRate: number;
  maxQueueSize: number;
  maxExportBatchSize: number;
  scheduledDelayMillis: number;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export function optionalString(o: Record<string, unknown>, key: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new ConfigError(key, `must be a string, got ${typeof v}`);
  return v;
}

function requiredString(o: Record<string, unknown>, key: string): string {
  const v = optionalString(o, key);
  if (!v || !v.trim()) throw new ConfigError(key, 'is required (a non-empty string)');
  return v.trim();
}

function numberIn(o: Record<string, unknown>, key: string, min: number, max: number, fallback: number, integer = false): number {
  const v = o[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
    throw new ConfigError(key, `must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got ${typeof v === 'number' ? String(v) : JSON.stringify(v)}`);
  }
  return v;
}

function isAttributeValue(v: unknown): v is AttributeValue {
  const t = typeof v;
  if (t === 'string' || t === 'boolean' || (t === 'number' && Number.isFinite(v as number))) return true;
  return Array.isArray(v) && v.every((x) => x === null || x === undefined || ['string', 'number', 'boolean'].includes(typeof x));
}

function stringRecord<T>(o: Record<string, unknown>, key: string, valid: (v: unknown) => v is T, what: string): Record<string, T> {
  const v = o[key];
  if (v === undefined || v === null) return {};
  if (!isObject(v)) throw new ConfigError(key, 'must be an object');
  const out: Record<string, T> = {};
  for (const k of Object.keys(v)) {
    if (!valid(v[k])) throw new ConfigError(`${key}.${k}`, `must be ${what}`);
    out[k] = v[k] as T;
  }
  return out;
}

/** Resolves `endpoint` against `base` (the page's URL in a browser) and insists on http(s). */
export function parseEndpoint(raw: string, base?: string): string {
  let url: URL;
  // Only an absolute URL, or a path on the page's own origin; anything else is a mistake.
  if (!/^https?:\/\/|^\/(?!\/)/i.test(raw) || /\s/.test(raw)) {
    throw new ConfigError('endpoint', `must be a URL (http(s)://… or /path), got ${JSON.stringify(raw)}`);
  }
  try {
    url = new URL(raw, base);
  } catch {
    throw new ConfigError('endpoint', `must be a URL, got ${JSON.stringify(raw)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError('endpoint', `must be an http(s) URL, got ${JSON.stringify(raw)}`);
  }
  return url.href;
}

/**
 * Validates what every runtime shares. Throws ConfigError naming the first bad option.
 * `base` resolves a relative endpoint (browsers only).
 */
export function parseCoreOptions(input: unknown, base?: string): CoreConfig {
  if (!isObject(input)) throw new ConfigError('options', 'must be an object');
  const serviceName = requiredString(input, 'serviceName');
  const endpoint = parseEndpoint(requiredString(input, 'endpoint'), base);
  return {
    serviceName,
    endpoint,
    serviceVersion: optionalString(input, 'serviceVersion'),
    environment: optionalString(input, 'environment'),
    attributes: stringRecord(input, 'attributes', isAttributeValue, 'a string, number, boolean or an array of them'),
    headers: stringRecord(input, 'headers', (v): v is string => typeof v === 'string', 'a string'),
    sampleRate: numberIn(input, 'sampleRate', 0, 1, 1),
    maxQueueSize: numberIn(input, 'maxQueueSize', 1, 1_000_000, 2048, true),
    maxExportBatchSize: numberIn(input, 'maxExportBatchSize', 1, 100_000, 512, true),
    scheduledDelayMillis: numberIn(input, 'scheduledDelayMillis', 0, 3_600_000, 5000),
  };
}

export { isObject };
