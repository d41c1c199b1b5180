// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { deliverAtExit } from '../../src/browser/loader/exit';
import type { Hub, LoaderRecord } from '../../src/browser/loader/hub';
import { encodeResource } from '../../src/core/otlp';
import { resourceAttributes } from '../../src/core/resource';
import { parseBrowserOptions } from '../../src/browser/options';
import { spanNamesOf as names, validateOtlpJson } from '../support/otlpReceiver';

/*
 * The loader's own exit (a visit that ends before the agent came). Firefox stops a closing
 * tab's running script (test/e2e/engines/loader.test.ts shows it): a stop is emulated by a
 * throw while the body is written, and the handler that runs next must send it all.
 */

const T = '0af7651916cd43dd8448eb211c80319c';

function hub(records: LoaderRecord[]): Hub {
  return {
    o: { serviceName: 'shop', endpoint: '/v1/traces' },
    ep: 'http://localhost:3000/v1/traces',
    rx: () => [[], []],
    on: true,
    q: records,
    n: 0,
    sid: 'session',
    smp: true,
    pv: 'pageview',
    sent: { vitals: [] },
    ready: [],
    stops: [],
  };
}

const records = (): LoaderRecord[] => [
  { k: 'fetch', m: 'GET', u: 'http://localhost:3000/api/a', i: 'b7ad6b7169203331', s: 1000, e: 1010, c: 200, t: T, f: 1 },
  { k: 'error', s: 1020, r: new Error('early boom'), t: T, f: 1 },
];

function setup() {
  const beacons: Blob[] = [];
  vi.stubGlobal('navigator', { userAgent: 'unit', sendBeacon: (_url: string, blob: Blob) => beacons.push(blob) > 0 });
  // The page load as Navigation Timing has it once the load event has ended.
  vi.spyOn(performance, 'getEntriesByType').mockReturnValue([
    { name: 'http://localhost:3000/', fetchStart: 1, responseStart: 40, responseEnd: 50, loadEventEnd: 300 } as unknown as PerformanceNavigationTiming,
  ]);
  return { beacons, texts: () => Promise.all(beacons.map((b) => b.text())) };
}

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
});

describe('the loader at exit', () => {
  it('sends the page load, TTFB, the requests and the errors once, and marks them sent', async () => {
    const { beacons, texts } = setup();
    const h = hub(records());
    deliverAtExit(h, undefined);
    deliverAtExit(h, undefined);
    expect(beacons).toHaveLength(1);
    expect(names((await texts())[0]).sort()).toEqual(['GET', 'TTFB', 'documentFetch', 'documentLoad', 'exception']);
    expect(h.q).toEqual([]);
    expect(h.sent).toEqual({ doc: true, vitals: ['TTFB'] });
  });

  it('a handler stopped while it writes the body: the next one sends everything, once', async () => {
    const { beacons, texts } = setup();
    const h = hub(records());
    const request = h.q[0];
    vi.spyOn(JSON, 'stringify').mockImplementationOnce(() => {
      throw new Error('script stopped');
    });
    expect(() => deliverAtExit(h, undefined)).toThrow('script stopped');
    expect(beacons).toHaveLength(0);
    // Nothing was taken by the handler that was cut short.
    expect(h.sent).toEqual({ vitals: [] });
    expect(h.q).toHaveLength(2);
    deliverAtExit(h, undefined);
    deliverAtExit(h, undefined);
    expect(beacons).toHaveLength(1);
    expect(names((await texts())[0]).sort()).toEqual(['GET', 'TTFB', 'documentFetch', 'documentLoad', 'exception']);
    // The agent, if it comes, must not send the request again when it ends.
    expect(request).toMatchObject({ d: 1 });
  });

  it("sends the agent's resource, with the user's attributes of every kind", async () => {
    const { beacons, texts } = setup();
    const h = hub(records());
    const attributes = { 'app.tenant': 'acme', 'app.beta': true, 'app.shard': 7, 'app.ratio': 0.5, 'app.big': 2 ** 60, 'app.tags': ['a', null, 'b'] };
    h.o = { serviceName: ' shop ', endpoint: '/v1/traces', serviceVersion: '1.2.3', environment: 'prod', attributes };
    deliverAtExit(h, undefined);
    expect(beacons).toHaveLength(1);
    const body = JSON.parse((await texts())[0]);
    expect(validateOtlpJson(body)).toEqual([]);
    // What the agent would send for the same options on the same page view.
    const config = parseBrowserOptions(h.o, 'http://localhost:3000/');
    const agents = resourceAttributes(config, { 'user_agent.original': 'unit', 'session.id': 'session', 'page_view.id': 'pageview' });
    expect(body.resourceSpans[0].resource).toEqual(JSON.parse(encodeResource(agents)));
  });

  it('describes a thrown value as the agent does: a rejection with a plain object keeps its JSON', async () => {
    const { texts } = setup();
    const h = hub([{ k: 'unhandledrejection', s: 1030, r: { code: 42, reason: 'quota' }, t: T, f: 1 }]);
    deliverAtExit(h, undefined);
    const body = JSON.parse((await texts())[0]);
    expect(validateOtlpJson(body)).toEqual([]);
    const span = body.resourceSpans[0].scopeSpans[0].spans.find((s: { name: string }) => s.name === 'exception');
    const attrs = (list: { key: string; value: { stringValue?: string } }[]) => Object.fromEntries(list.map((a) => [a.key, a.value.stringValue]));
    expect(attrs(span.attributes)).toEqual({ 'exception.type': 'Object', 'tracelet.error.source': 'unhandledrejection' });
    expect(attrs(span.events[0].attributes)).toEqual({ 'exception.type': 'Object', 'exception.message': '{"code":42,"reason":"quota"}' });
    expect(span.status).toEqual({ code: 2, message: '{"code":42,"reason":"quota"}' });
  });
});
