import type { AttributeValue } from '@opentelemetry/api';
import type { CoreConfig } from '../../core/config';
import { redactUrl, safeRedactor } from '../../core/redact';
import { resourceAttributes } from '../../core/resource';
import { VERSION } from '../../core/version';
import { KEEPALIVE_BUDGET } from '../constants';
import type { ErrorRecord, Hub, Ids } from './hub';
import { describeError } from './describeError';
import type { ExitWatch } from './index';
import { onHidden } from '../lib/onHidden';
import { hex } from './ids';
import { requestSpan } from './requestSpan';

/*
 * A visit that ends before the agent has loaded still arrives: at `visibilitychange` to
 * hidden and at `pagehide`, while no agent runs, the loader writes what it has as OTLP/JSON
 * itself — the page load, the Web Vitals TTFB/FCP/LCP, the requests and the errors — and
 * hands it to the browser as the agent would (beacon, else keepalive fetch). What it sent is
 * marked, so the agent (if the page lives on) does not send it again. Attribute names are
 * the agent's; JSON.stringify leaves out the members that are undefined.
 */

type Value = AttributeValue | null | undefined;
type Attrs = Record<string, Value>;
/**
 * An OTLP AnyValue, by core/otlp.ts's rules for the values the loader's option check lets
 * through (null and undefined: left out). Unlike the agent's, it does not cut strings at
 * 4,096 characters.
 */
const value = (v: Value): object | undefined =>
  v == null
    ? undefined
    : typeof v == 'number'
      ? Number.isSafeInteger(v) ? { intValue: '' + v } : { doubleValue: v }
      : typeof v == 'boolean'
        ? { boolValue: v }
        : Array.isArray(v)
          ? { arrayValue: { values: (v as Value[]).map(value).filter(Boolean) } }
          : { stringValue: v };
const attributes = (a: Attrs) =>
  Object.keys(a)
    .filter((key) => a[key] != null)
    .map((key) => ({ key, value: value(a[key]) }));
/** Epoch ms as the decimal nanoseconds OTLP/JSON wants. */
const nanos = (ms: number) => '' + Math.round(ms * 1e6);

/** Delivers at each exit (the page hidden or left) while no agent runs. */
export const watchExit: ExitWatch = (h, page) => onHidden(() => deliverAtExit(h, page()));

/** Encodes and hands over everything the loader holds; nothing once the agent runs. */
export function deliverAtExit(h: Hub, page: Ids | undefined): void {
  if (h.sink || !h.on) return;
  // LCP can only be observed: the browser's buffer has its entries, handed over at observe().
  let lcp: number | undefined;
  try {
    const po = new PerformanceObserver(() => {});
    po.observe({ type: 'largest-contentful-paint', buffered: true });
    po.takeRecords().forEach((e) => (lcp = e.startTime));
    po.disconnect();
  } catch {
    // no LCP in this engine (Safari)
  }
  const o = h.o;
  const url = o.redactUrl ? safeRedactor(o.redactUrl) : redactUrl;
  const t0 = performance.timeOrigin;
  const spans: object[] = [];
  const span = (name: string, kind: number, s: number, e: number, ids: Partial<Ids>, a: Attrs, error?: string, events?: object[], spanId = hex(8)) => {
    spans.push({
      traceId: ids.t,
      spanId,
      parentSpanId: ids.p,
      name,
      kind,
      startTimeUnixNano: nanos(s),
      endTimeUnixNano: nanos(e),
      attributes: attributes(a),
      events,
      status: error && { code: 2, message: error },
    });
    return spanId;
  };
  // Taken (h.q emptied, the page load and vitals marked) only once handed over, and in plain
  // statements: Firefox stops a closing tab's running script, and a `pagehide` cut short must
  // leave it all to the `visibilitychange` that follows (test/e2e/engines/loader.test.ts lost
  // the page load in most runs when it was marked first, and sent records twice when the
  // marking after the beacon ran a callback per record).
  let doc = false;
  const vitals: string[] = [];
  let dropped = 0;
  // The page view's trace: the server span that served it, or one of its own.
  const pv = { t: page?.t ?? hex(16), p: page?.p };
  const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
  if ((page ? page.f & 1 : h.smp) && nav) {
    if (nav.loadEventEnd && !h.sent.doc) {
      doc = true;
      const a = { 'url.full': url(nav.name) };
      const id = span('documentLoad', 1, t0 + nav.fetchStart, t0 + nav.loadEventEnd, pv, a);
      span('documentFetch', 1, t0 + nav.fetchStart, t0 + nav.responseEnd, { t: pv.t, p: id }, a);
    }
    // [name, value, good, poor] (web.dev thresholds) of what can be read after the fact.
    for (const [name, v, good, poor] of [
      ['TTFB', nav.responseStart, 800, 1800],
      ['FCP', performance.getEntriesByName('first-contentful-paint')[0]?.startTime, 1800, 3000],
      ['LCP', lcp, 2500, 4000],
    ] as [string, number, number, number][]) {
      if (!v || h.sent.vitals.includes(name)) continue;
      vitals.push(name);
      span(name, 1, t0, t0 + v, pv, { 'web_vital.name': name, 'web_vital.value': v, 'web_vital.rating': v > poor ? 'poor' : v > good ? 'needs-improvement' : 'good' });
    }
  }
  for (const r of h.q) {
    if (r.k == 'fetch' || r.k == 'xmlhttprequest') {
      // For the agent, if it comes: this record is not to be sent again when it ends.
      r.d = 1;
      const { name, attributes, failed } = requestSpan(r, url(r.u));
      span(name, 3, r.s, r.e ?? r.s, r, attributes, failed, undefined, r.i);
    } else if (r.k != 'route' && r.f! & 1) {
      const d = describeError((r as ErrorRecord).r);
      span('exception', 1, r.s, r.s, r, { 'exception.type': d.type, 'tracelet.error.source': r.k }, d.message, [
        { timeUnixNano: nanos(r.s), name: 'exception', attributes: attributes({ 'exception.type': d.type, 'exception.message': d.message, 'exception.stacktrace': d.stack }) },
      ]);
    }
  }
  // Route changes are not sent from here: they say little without the spans that follow.
  // The agent's resource, the user's attributes included: a visit is one service whichever
  // stage delivered it. (The loader's rules passed: serviceName is a non-blank string.)
  const resource = attributes(
    resourceAttributes({ ...o, serviceName: o.serviceName.trim() } as CoreConfig, {
      'user_agent.original': navigator.userAgent,
      'session.id': h.sid,
      'page_view.id': h.pv,
      'tracelet.dropped.loader_full': h.n || undefined,
    }),
  );
  let body = '';
  // The browser takes 64 KiB of exit bodies in all: the newest spans give way, counted.
  while (spans.length && (body = JSON.stringify({ resourceSpans: [{ resource: { attributes: resource }, scopeSpans: [{ scope: { name: 'tracelet', version: VERSION }, spans }] }] })).length > KEEPALIVE_BUDGET - 4096) {
    spans.pop();
    dropped++;
  }
  // A beacon, else a keepalive fetch (custom headers need one).
  let sent = !spans.length;
  try {
    sent ||= !o.headers && navigator.sendBeacon(h.ep, new Blob([body], { type: 'application/json' }));
  } catch {
    // a CSP or an unusable URL: fetch below
  }
  if (!sent) fetch(h.ep, { method: 'POST', keepalive: true, body, headers: { 'content-type': 'application/json', ...o.headers } }).catch(() => {});
  h.sent.doc ||= doc;
  h.sent.vitals.push(...vitals);
  h.q = [];
  h.n += dropped;
}
