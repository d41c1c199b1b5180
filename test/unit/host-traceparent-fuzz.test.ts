// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ROOT_CONTEXT, defaultTextMapGetter, defaultTextMapSetter, trace, type Context } from '@opentelemetry/api';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { StackContextManager } from '@opentelemetry/sdk-trace-web';
import { W3CPropagator, extractInto, parseTraceparent, parseTracestate } from '../../src/core/propagation';
import { ParentOrRootSampler } from '../../src/core/sampler';
import { traceparentFromServerTiming } from '../../src/core/serverTiming';
import { pageIds } from '../../src/browser/loader/page';
import { formatTraceparent as format } from '../../src/core/propagation';

/** The page's server traceparent as the loader reads it (loader/page.ts), written back out. */
const pageTraceparent = () => {
  const ids = pageIds();
  return ids?.p ? format(ids.t, ids.p, ids.f) : undefined;
};
import { PageContextManager } from '../../src/browser/lib/pageContext';
import { STRICT_OUT, oracleTraceparent, oracleTracestate, strictOutgoingTracestate, traceparents, tracestates, validTp } from './host-w3c';

/*
 * Issue 8, malformed input: more than 10,000 generated traceparent/tracestate values
 * (valid, near-valid, garbage, huge, unicode, repeated) through the W3C parser, the
 * propagator and the browser's page reader (<meta name="traceparent"> and the navigation's
 * Server-Timing), judged by an independent oracle written from the W3C grammar:
 * nothing throws, every outgoing header is valid W3C or absent, a valid incoming
 * traceparent is continued and an invalid one starts a fresh trace.
 */

// ---------------------------------------------------------------- the checks

/** A value as it appears in a failure message: escaped and cut. */
const show = (v: string) => JSON.stringify(v.length > 70 ? v.slice(0, 70) + `…(${v.length})` : v);

const N = 10_240;
const TPS = traceparents(N);
const TSS = tracestates(N);

const provider = new BasicTracerProvider({ sampler: new ParentOrRootSampler(() => true) });
const tracer = provider.getTracer('fuzz');
const propagator = new W3CPropagator();

/** What a request made as a child of `ctx` would carry. */
function outgoing(ctx: Context): Record<string, string> {
  const span = tracer.startSpan('child', {}, ctx);
  const carrier: Record<string, string> = {};
  propagator.inject(trace.setSpan(ctx, span), carrier, defaultTextMapSetter);
  span.end();
  return carrier;
}

function judge(tp: string, ts: string, problems: string[]): void {
  const want = oracleTraceparent(tp);
  const parsed = parseTraceparent(tp);
  if (!!parsed !== !!want || (want && (parsed!.traceId !== want.traceId || parsed!.spanId !== want.spanId))) {
    problems.push(`parseTraceparent(${show(tp)}) = ${JSON.stringify(parsed)}, W3C says ${JSON.stringify(want)}`);
  }
  const wantState = want ? oracleTracestate(ts) : undefined;
  const parsedState = parseTracestate(ts);
  if (want && !!parsedState !== !!wantState) problems.push(`parseTracestate(${show(ts)}): got ${show(String(parsedState?.serialize()))}, W3C says ${show(JSON.stringify(wantState))}`);

  // Incoming through the propagator (headers as an edge or a backend gets them).
  const ctx = propagator.extract(ROOT_CONTEXT, { traceparent: tp, tracestate: ts }, defaultTextMapGetter);
  const parent = trace.getSpanContext(ctx);
  if (!want && parent) problems.push(`invalid ${show(tp)} became a parent`);
  if (want && parent?.traceId !== want.traceId) problems.push(`valid ${show(tp)} was not continued`);
  const out = outgoing(ctx);
  if (!STRICT_OUT.test(out.traceparent ?? '')) problems.push(`outgoing traceparent ${JSON.stringify(out.traceparent)} for ${show(tp)}`);
  const outTrace = out.traceparent?.split('-')[1];
  if (want && outTrace !== want.traceId) problems.push(`child of ${show(tp)} left the trace`);
  if (!want && outTrace === (tp.match(/[0-9a-f]{32}/)?.[0] ?? '')) problems.push(`child of invalid ${show(tp)} kept its trace id`);
  if (out.tracestate !== undefined && !strictOutgoingTracestate(out.tracestate)) problems.push(`outgoing tracestate ${show(out.tracestate)}`);
  if (out.tracestate !== undefined && !want) problems.push(`tracestate ${show(out.tracestate)} sent without a parent`);
}

describe('traceparent / tracestate fuzz: parser and propagator', () => {
  it(`${N} generated pairs: nothing throws, outgoing headers valid W3C, invalid incoming starts a fresh trace`, () => {
    expect(TPS.length + TSS.length).toBeGreaterThanOrEqual(20_000);
    // The mix: a good share valid, most not.
    const valid = TPS.filter((t) => oracleTraceparent(t)).length;
    expect(valid).toBeGreaterThan(N * 0.25);
    expect(valid).toBeLessThan(N * 0.6);
    const problems: string[] = [];
    for (let i = 0; i < N; i++) {
      try {
        judge(TPS[i], TSS[i], problems);
      } catch (e) {
        problems.push(`threw on ${show(TPS[i])} / ${show(TSS[i])}: ${(e as Error).stack}`);
      }
    }
    expect(problems.slice(0, 20)).toEqual([]);
  });

  it('non-string and repeated header values: arrays (repeated headers) are joined, other types ignored', () => {
    const problems: string[] = [];
    const odd: unknown[] = [undefined, null, 0, 1, true, {}, [], [validTp()], [validTp(), validTp()], Symbol('x'), () => validTp(), 10n, NaN, new String(validTp())];
    for (const tp of odd) {
      for (const ts of [undefined, ['a=1', 'b=2'], ['a=1', 'a=2'], 5, {}]) {
        try {
          const ctx = extractInto(ROOT_CONTEXT, tp, ts);
          const out = outgoing(ctx);
          if (!STRICT_OUT.test(out.traceparent ?? '')) problems.push(`outgoing ${out.traceparent}`);
          if (typeof tp !== 'string' && trace.getSpanContext(ctx)) problems.push(`non-string ${String(tp)} became a parent`);
        } catch (e) {
          problems.push(`threw on ${typeof tp}: ${(e as Error).message}`);
        }
      }
    }
    // Repeated headers in a carrier (an array, as Node gives them) are one comma-joined value.
    const two = propagator.extract(ROOT_CONTEXT, { traceparent: [validTp(), validTp()] }, defaultTextMapGetter);
    expect(trace.getSpanContext(two)).toBeUndefined();
    const state = propagator.extract(ROOT_CONTEXT, { traceparent: validTp(), tracestate: ['a=1', 'b=2'] }, defaultTextMapGetter);
    expect(trace.getSpanContext(state)?.traceState?.serialize()).toBe('a=1,b=2');
    expect(problems).toEqual([]);
  });
});

describe("traceparent fuzz: the browser's page reader (meta and Server-Timing)", () => {
  afterEach(() => {
    vi.restoreAllMocks();
    document.head.innerHTML = '';
  });

  function withServerTiming(description: unknown) {
    vi.spyOn(performance, 'getEntriesByType').mockImplementation(((type: string) =>
      type === 'navigation' ? [{ serverTiming: [{ name: 'other', description: 'x' }, { name: 'traceparent', description }] }] : []) as never);
  }

  function judgePage(tp: string, problems: string[], source: string): void {
    // An HTML attribute value loses its leading and trailing ASCII white space first.
    const want = oracleTraceparent(source === 'meta' ? tp.replace(/^[\t\n\f\r ]+|[\t\n\f\r ]+$/g, '') : tp);
    let got: string | undefined;
    try {
      got = pageTraceparent();
    } catch (e) {
      problems.push(`${source}: pageTraceparent threw on ${show(tp)}: ${(e as Error).message}`);
      return;
    }
    if (!!got !== !!want) problems.push(`${source}: ${show(tp)} read as ${show(String(got))}, W3C says ${want ? 'valid' : 'invalid'}`);
    // The page's spans: children of a valid server span, a fresh trace otherwise.
    const manager = new PageContextManager(new StackContextManager().enable(), got);
    const out = outgoing(manager.active());
    if (!STRICT_OUT.test(out.traceparent ?? '')) problems.push(`${source}: outgoing ${out.traceparent}`);
    const traceId = out.traceparent?.split('-')[1];
    if (want && traceId !== want.traceId) problems.push(`${source}: page did not join ${show(tp)}`);
    if (!want && traceId === tp.match(/[0-9a-f]{32}/)?.[0]) problems.push(`${source}: page joined invalid ${show(tp)}`);
  }

  it('traceparentFromServerTiming, trace;desc= and traceparent;desc=: 10,240 values each', () => {
    const problems: string[] = [];
    for (const tp of TPS) {
      const want = oracleTraceparent(tp);
      for (const name of ['trace', 'traceparent']) {
        const got = traceparentFromServerTiming([{ name: 'other', description: 'x' }, { name, description: tp }]);
        if (!!got !== !!want || (want && parseTraceparent(got)?.traceId !== want.traceId)) problems.push(`${name};desc=${show(tp)} read as ${show(String(got))}`);
      }
    }
    expect(problems.slice(0, 20)).toEqual([]);
  });

  it('<meta name="traceparent" content=…>: 10,240 values', () => {
    const problems: string[] = [];
    const meta = document.createElement('meta');
    meta.setAttribute('name', 'traceparent');
    document.head.appendChild(meta);
    for (const tp of TPS) {
      meta.setAttribute('content', tp);
      judgePage(tp, problems, 'meta');
    }
    expect(problems.slice(0, 20)).toEqual([]);
  });

  it('Server-Timing: traceparent;desc=…: 10,240 values, and descriptions that are not strings', () => {
    const problems: string[] = [];
    for (const tp of TPS) {
      withServerTiming(tp);
      judgePage(tp, problems, 'server-timing');
      vi.restoreAllMocks();
    }
    for (const odd of [undefined, null, 5, {}, []]) {
      withServerTiming(odd);
      expect(() => pageTraceparent()).not.toThrow();
      expect(pageTraceparent()).toBeUndefined();
      vi.restoreAllMocks();
    }
    // A performance API that throws, or has no serverTiming at all.
    vi.spyOn(performance, 'getEntriesByType').mockImplementation(() => {
      throw new Error('no timing');
    });
    expect(pageTraceparent()).toBeUndefined();
    expect(problems.slice(0, 20)).toEqual([]);
  });
});
