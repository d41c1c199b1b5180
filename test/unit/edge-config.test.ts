import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseEdgeOptions } from '../../src/edge/config';
import { startAgent } from '../../src/edge/agent';

const base = { serviceName: 'edge', endpoint: 'https://collector.example/v1/traces' };

describe('edge options', () => {
  afterEach(() => vi.restoreAllMocks());

  it('defaults: Server-Timing on, client address off, gzip, 10 s export timeout, core defaults', () => {
    const c = parseEdgeOptions(base);
    expect(c).toMatchObject({
      serviceName: 'edge',
      endpoint: 'https://collector.example/v1/traces',
      serverTiming: ['traceparent'],
      captureClientAddress: false,
      compression: 'gzip',
      exportTimeoutMillis: 10_000,
      sampleRate: 1,
      maxQueueSize: 2048,
      randomTraceIdFlag: false,
    });
    expect(c.route).toBeUndefined();
  });

  it.each([
    [true, ['traceparent']],
    ['traceparent', ['traceparent']],
    ['trace', ['trace']],
    ['both', ['traceparent', 'trace']],
    [false, []],
  ] as const)('serverTiming: %o sends %o', (serverTiming, names) => {
    expect(parseEdgeOptions({ ...base, serverTiming }).serverTiming).toEqual(names);
  });

  it('propagators: W3C first, each once; maxTracesPerSecond kept', () => {
    expect(parseEdgeOptions({ ...base, propagators: ['jaeger', 'b3', 'tracecontext', 'b3'] }).propagators).toEqual(['tracecontext', 'jaeger', 'b3']);
    expect(parseEdgeOptions({ ...base, propagators: ['b3multi'] }).propagators).toEqual(['b3multi']);
    expect(parseEdgeOptions(base).maxTracesPerSecond).toBeUndefined();
    expect(parseEdgeOptions({ ...base, maxTracesPerSecond: 0.5 }).maxTracesPerSecond).toBe(0.5);
  });

  it('keeps the edge options it is given', () => {
    const route = () => '/x';
    const c = parseEdgeOptions({ ...base, serverTiming: false, captureClientAddress: true, route, compression: 'none', exportTimeoutMillis: 500 });
    expect(c).toMatchObject({ serverTiming: [], captureClientAddress: true, route, compression: 'none', exportTimeoutMillis: 500 });
  });

  it.each([
    [{ serverTiming: 'yes' }, 'serverTiming'],
    [{ serverTiming: 'true' }, 'serverTiming'],
    [{ serverTiming: 'constructor' }, 'serverTiming'],
    [{ serverTiming: ['trace'] }, 'serverTiming'],
    [{ captureClientAddress: 1 }, 'captureClientAddress'],
    [{ route: '/users/:id' }, 'route'],
    [{ compression: 'br' }, 'compression'],
    [{ exportTimeoutMillis: 0 }, 'exportTimeoutMillis'],
    [{ endpoint: '/v1/traces' }, 'endpoint'], // no page to resolve a path against on the edge
    [{ serviceName: '' }, 'serviceName'],
    [{ sampleRate: 2 }, 'sampleRate'],
    [{ randomTraceIdFlag: 'yes' }, 'randomTraceIdFlag'],
    [{ maxTracesPerSecond: 0 }, 'maxTracesPerSecond'],
    [{ maxTracesPerSecond: -1 }, 'maxTracesPerSecond'],
    [{ maxTracesPerSecond: '10' }, 'maxTracesPerSecond'],
    [{ maxTracesPerSecond: Infinity }, 'maxTracesPerSecond'],
    [{ propagators: [] }, 'propagators'],
    [{ propagators: ['w3c'] }, 'propagators'],
    [{ propagators: 'b3' }, 'propagators'],
  ])('names the bad option: %o', (patch, option) => {
    expect(() => parseEdgeOptions({ ...base, ...patch })).toThrow(`option "${option}"`);
  });

  it('startAgent: a bad configuration logs one console.error naming the option and returns no agent', () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    expect(startAgent({ ...base, serverTiming: 'no' }, {})).toBeUndefined();
    expect(startAgent(undefined, {})).toBeUndefined();
    expect(error).toHaveBeenCalledTimes(2);
    expect(error.mock.calls[0][0]).toMatch(/^tracelet: option "serverTiming" must be true, false, "traceparent", "trace" or "both", got "no"; tracing is off$/);
    expect(error.mock.calls[1][0]).toMatch(/option "options" must be an object/);
  });
});
