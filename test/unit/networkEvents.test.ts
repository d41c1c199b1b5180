import { describe, expect, it } from 'vitest';
import { SpanKind } from '@opentelemetry/api';
import { AlwaysOnSampler, BasicTracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { networkEvents, type ResourceTimingLike } from '../../src/core/networkEvents';
import { encodeSpan, utf8Length } from '../../src/core/otlp';
import { validateOtlpJson } from '../support/otlpReceiver';

const NINE = ['fetchStart', 'domainLookupStart', 'domainLookupEnd', 'connectStart', 'secureConnectionStart', 'connectEnd', 'requestStart', 'responseStart', 'responseEnd'] as const;

/** Timing of a request on a connection already open (DNS and connect marks equal fetchStart), as Chromium reports it. */
const reused: ResourceTimingLike = {
  startTime: 1000.5, fetchStart: 1000.5, domainLookupStart: 1000.5, domainLookupEnd: 1000.5, connectStart: 1000.5,
  secureConnectionStart: 1000.5, connectEnd: 1000.5, requestStart: 1002.1, responseStart: 1005.0, responseEnd: 1007.6,
};

describe('networkEvents', () => {
  it('a reused connection: requestStart and responseStart only', () => {
    expect(networkEvents(reused)).toEqual([
      { name: 'requestStart', time: 1002.1 },
      { name: 'responseStart', time: 1005.0 },
    ]);
  });

  it('a new TLS connection: every phase that took time, in order', () => {
    const e = { ...reused, domainLookupEnd: 1010, connectStart: 1010, secureConnectionStart: 1020, connectEnd: 1030, requestStart: 1031, responseStart: 1040, responseEnd: 1045 };
    expect(networkEvents(e).map((x) => x.name)).toEqual(['domainLookupEnd', 'connectStart', 'secureConnectionStart', 'connectEnd', 'requestStart', 'responseStart']);
    // Plain http: secureConnectionStart is 0, so not sent.
    expect(networkEvents({ ...e, secureConnectionStart: 0 }).map((x) => x.name)).not.toContain('secureConnectionStart');
  });

  it('a cross-origin response without Timing-Allow-Origin (zeros): nothing', () => {
    const e = { ...reused, domainLookupStart: 0, domainLookupEnd: 0, connectStart: 0, secureConnectionStart: 0, connectEnd: 0, requestStart: 0, responseStart: 0 };
    expect(networkEvents(e)).toEqual([]);
  });

  it('after a redirect fetchStart is kept: the redirect is the gap before it', () => {
    expect(networkEvents({ ...reused, startTime: 990 })[0]).toEqual({ name: 'fetchStart', time: 1000.5 });
  });

  it('makes a typical fetch span less than two thirds of its size with all nine marks, and still valid OTLP', () => {
    const ended: ReadableSpan[] = [];
    const provider = new BasicTracerProvider({
      sampler: new AlwaysOnSampler(),
      spanProcessors: [{ onStart() {}, onEnd: (s) => void ended.push(s), forceFlush: async () => {}, shutdown: async () => {} }],
    });
    const tracer = provider.getTracer('@opentelemetry/instrumentation-fetch', '0.223.0');
    const t0 = performance.timeOrigin;
    for (const events of [NINE.map((name) => ({ name, time: reused[name] })), networkEvents(reused)]) {
      const span = tracer.startSpan('GET', {
        kind: SpanKind.CLIENT,
        startTime: t0 + 1000,
        attributes: {
          'http.request.method': 'GET',
          'url.full': 'http://127.0.0.1:38119/api/ping?item=0',
          'server.address': '127.0.0.1',
          'server.port': 38119,
        },
      });
      span.setAttribute('http.response.status_code', 200);
      for (const e of events) span.addEvent(e.name, t0 + e.time);
      span.end(t0 + reused.responseEnd);
    }
    const [all, compact] = ended.map((s) => encodeSpan(s));
    const body = (s: string) => JSON.parse(`{"resourceSpans":[{"resource":{},"scopeSpans":[{"scope":{"name":"x"},"spans":[${s}]}]}]}`);
    expect(validateOtlpJson(body(compact))).toEqual([]);
    expect(body(compact).resourceSpans[0].scopeSpans[0].spans[0].events.map((e: { name: string }) => e.name)).toEqual(['requestStart', 'responseStart']);
    if (process.env.WIRE_SIZES) console.log("span bytes: nine marks", utf8Length(all), "networkEvents", utf8Length(compact));
    expect(utf8Length(compact)).toBeLessThan((utf8Length(all) * 2) / 3);
  });
});
