// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { checkOptions } from '../../src/browser/loader/options';
import { parseBrowserOptions, type BrowserOptions } from '../../src/browser/options';

/*
 * The loader checks the options by the agent's rules without the agent's messages (which
 * would cost its kilobyte): the two must agree on every input, or a mistake would either
 * start a capture the agent then stops, or refuse options the agent runs.
 */
const base = { serviceName: 's', endpoint: '/v1/traces' };
const fn = () => '';
const CASES: unknown[] = [
  base,
  { serviceName: 'shop', endpoint: 'https://c.example/v1/traces' },
  { serviceName: ' s ', endpoint: 'HTTP://c.example:4318/v1/traces?x=1' },
  null,
  undefined,
  'serviceName=s',
  42,
  [],
  [base],
  {},
  { endpoint: '/v1/traces' },
  { serviceName: '', endpoint: '/v1/traces' },
  { serviceName: '   ', endpoint: '/v1/traces' },
  { serviceName: 5, endpoint: '/v1/traces' },
  { serviceName: null, endpoint: '/v1/traces' },
  { serviceName: 's' },
  { serviceName: 's', endpoint: '' },
  { serviceName: 's', endpoint: 'not a url' },
  { serviceName: 's', endpoint: 'ftp://127.0.0.1/v1/traces' },
  { serviceName: 's', endpoint: 'javascript:alert(1)' },
  { serviceName: 's', endpoint: '//c.example/v1/traces' },
  { serviceName: 's', endpoint: 'v1/traces' },
  { serviceName: 's', endpoint: 'https://c.example/v 1' },
  { serviceName: 's', endpoint: 'https://' },
  { serviceName: 's', endpoint: 42 },
];
const VALUES: Record<string, unknown[]> = {
  serviceVersion: ['1.2', '', null, 1, true, {}],
  environment: ['prod', null, 0, []],
  sampleRate: [0, 0.5, 1, null, undefined, -0.1, 1.1, 7, NaN, Infinity, '0.5', true],
  maxQueueSize: [1, 2048, 1e6, null, 0, -1, 1.5, 1e6 + 1, '10', NaN],
  maxExportBatchSize: [1, 512, 1e5, 0, 1.5, 1e5 + 1, 'x'],
  scheduledDelayMillis: [0, 1.5, 36e5, -1, 36e5 + 1, 'soon', Infinity],
  maxSpansPerSecond: [0.5, 1, 100, 1e6, null, 0, -1, 1e6 + 1, NaN, Infinity, '10', true, {}],
  redactUrl: [fn, null, 'x', 1, {}],
  headers: [{}, { 'x-key': 'k' }, null, { 'x-key': 1 }, { a: null }, [], 'k', [['a', 'b']]],
  attributes: [{ a: 1, b: 's', c: true, d: [1, null, 'x'] }, {}, null, { a: {} }, { a: NaN }, { a: Infinity }, { a: [{}] }, { a: null }, [], 'a'],
  instrumentations: [{}, { fetch: false }, { documentLoad: true, fetch: true, xhr: false, webVitals: true, errors: true, routeChanges: false }, null, [], { bogus: true }, { fetch: 'yes' }, { fetch: 1 }, 'fetch'],
  propagateTo: [[], ['https://api.example'], [/api/], 'https://api.example', /x/, null, [5], [null], [{}], [['a']]],
  ignoreUrls: [[], ['/health'], [/x/], '/health', [5], [{}], [undefined]],
};
for (const [key, values] of Object.entries(VALUES)) for (const v of values) CASES.push({ ...base, [key]: v });

const agentAccepts = (o: unknown) => {
  try {
    parseBrowserOptions(o, location.href);
    return true;
  } catch {
    return false;
  }
};

describe("the loader's option check", () => {
  it(`agrees with the agent's parseBrowserOptions on ${CASES.length} inputs`, () => {
    const disagree = CASES.filter((o) => (checkOptions(o as BrowserOptions) !== undefined) !== agentAccepts(o)).map((o) => JSON.stringify(o, (_, v) => (typeof v == 'number' && !isFinite(v) ? String(v) : v)));
    expect(disagree).toEqual([]);
    // Both outcomes are covered.
    expect(CASES.filter(agentAccepts).length).toBeGreaterThan(30);
    expect(CASES.filter((o) => !agentAccepts(o)).length).toBeGreaterThan(60);
  });

  it('resolves the endpoint and never traces it, whatever follows it', () => {
    const c = checkOptions({ ...base, propagateTo: ['https://api.example'], ignoreUrls: ['/health'] } as BrowserOptions)!;
    expect(c.ep).toBe(new URL('/v1/traces', location.href).href);
    const [pt, ig] = c.rx();
    expect(ig.some((r) => r.test(c.ep + '?x'))).toBe(true);
    expect(ig.some((r) => r.test(c.ep + 'x'))).toBe(false);
    expect(pt.some((r) => r.test('https://api.example/x'))).toBe(true);
    expect(pt.some((r) => r.test('https://api.example.evil.net/x'))).toBe(false);
  });
});
