import { ownUrls, toUrlRegExp, type UrlPattern } from '../../core/urlMatch';
import { INSTRUMENTATIONS } from '../constants';
import type { BrowserOptions } from '../options';

/** What the loader itself needs of the options, resolved. */
export interface LoaderOptions {
  /** The endpoint, resolved. */
  ep: string;
  /** `propagateTo`, and `ignoreUrls` with the endpoint, as RegExps (made at the first call). */
  rx: () => [propagateTo: RegExp[], ignore: RegExp[]];
}

type Rule = (v: unknown) => unknown;
const optional = (rule: Rule): Rule => (v) => v == null || rule(v);
const str: Rule = (v) => typeof v == 'string';
const num = (min: number, max: number, integer?: 1): Rule => optional((v) => typeof v == 'number' && v >= min && v <= max && (!integer || v % 1 == 0));
const scalar: Rule = (v) => str(v) || typeof v == 'boolean' || (typeof v == 'number' && isFinite(v));
const object = (v: unknown): v is Record<string, unknown> => !!v && typeof v == 'object' && !Array.isArray(v);
const record = (rule: (v: unknown, k: string) => unknown): Rule => optional((v) => object(v) && Object.keys(v).every((k) => rule(v[k], k)));
const list = (v: unknown) => ([] as UrlPattern[]).concat((v as UrlPattern) ?? []);
const patterns: Rule = (v) => list(v).every((p) => str(p) || p instanceof RegExp);

/**
 * The agent's rules (browser/options.ts, core/config.ts) without their messages: a unit
 * test runs both over the same options. Where these fail the agent comes at once and names
 * the mistake; every message in the loader would cost its kilobyte about 500 bytes.
 */
const RULES: Record<string, Rule> = {
  serviceName: (v) => str(v) && (v as string).trim(),
  endpoint: (v) => str(v) && /^(https?:\/\/|\/(?!\/))\S*$/i.test(v as string),
  serviceVersion: optional(str),
  environment: optional(str),
  sampleRate: num(0, 1),
  maxQueueSize: num(1, 1e6, 1),
  maxExportBatchSize: num(1, 1e5, 1),
  scheduledDelayMillis: num(0, 36e5),
  maxSpansPerSecond: (v) => v !== 0 && num(0, 1e6)(v),
  redactUrl: (v) => v === undefined || typeof v == 'function',
  headers: record(str),
  attributes: record((v) => scalar(v) || (Array.isArray(v) && v.every((x) => x == null || scalar(x)))),
  instrumentations: record((v, k) => typeof v == 'boolean' && (INSTRUMENTATIONS as readonly string[]).includes(k)),
  propagateTo: patterns,
  ignoreUrls: patterns,
};

/**
 * The options the loader uses, or undefined when any option breaks the agent's rules: then
 * nothing is captured (the page stays untouched). The URL patterns become RegExps at the
 * first request, not while the page loads: each RegExp's first use compiles it, about half
 * a millisecond in Chromium on a slow machine.
 */
export function checkOptions(o: BrowserOptions): LoaderOptions | undefined {
  try {
    if (object(o) && Object.keys(RULES).every((k) => RULES[k]((o as unknown as Record<string, unknown>)[k]))) {
      const ep = new URL(o.endpoint, location.href).href;
      let made: [RegExp[], RegExp[]] | undefined;
      // The agent's own exports are never traced: they would trace themselves forever.
      return { ep, rx: () => (made ??= [list(o.propagateTo).map(toUrlRegExp), [ownUrls(ep), ...list(o.ignoreUrls).map(toUrlRegExp)]]) };
    }
  } catch {
    // an endpoint that does not parse as a URL
  }
  return undefined;
}
