import { describe, expect, it } from 'vitest';
import { ConfigError, parseCoreOptions, parseEndpoint } from '../../src/core/config';
import { parseBrowserOptions } from '../../src/browser/options';
import { configError } from '../support/configError';
import { matchesAny } from '../../src/core/urlMatch';

const valid = { serviceName: 'shop', endpoint: 'https://collector.example.com/v1/traces' };

function expectOptionError(input: unknown, option: string, base?: string): ConfigError {
  const e = configError(() => parseCoreOptions(input, base));
  expect(e.option).toBe(option);
  expect(e.message).toContain(`"${option}"`);
  expect(e.name).toBe('ConfigError');
  return e;
}

describe('parseCoreOptions: required options', () => {
  it('rejects a non-object', () => {
    for (const input of [undefined, null, 'x', 3, ['a']]) expectOptionError(input, 'options');
  });

  for (const key of ['serviceName', 'endpoint'] as const) {
    it(`rejects ${key} missing, empty, blank or of the wrong type`, () => {
      for (const bad of [undefined, null, '', '   ']) {
        const e = expectOptionError({ ...valid, [key]: bad }, key);
        expect(e.message).toContain('required');
      }
      for (const bad of [42, true, {}, ['x']]) {
        const e = expectOptionError({ ...valid, [key]: bad }, key);
        expect(e.message).toContain('string');
      }
    });
  }

  it('trims serviceName', () => {
    expect(parseCoreOptions({ ...valid, serviceName: '  shop  ' }).serviceName).toBe('shop');
  });

  it('rejects optional strings of the wrong type', () => {
    expectOptionError({ ...valid, serviceVersion: 1 }, 'serviceVersion');
    expectOptionError({ ...valid, environment: false }, 'environment');
  });
});

describe('parseCoreOptions: endpoint', () => {
  it('rejects a non-URL without a base', () => {
    const e = expectOptionError({ ...valid, endpoint: 'not a url' }, 'endpoint');
    expect(e.message).toContain('"not a url"');
  });

  it('rejects non-http(s) schemes', () => {
    for (const endpoint of ['ftp://collector.example.com/v1/traces', 'javascript:alert(1)', 'file:///etc/passwd', 'data:,x']) {
      expectOptionError({ ...valid, endpoint }, 'endpoint');
    }
  });

  it('accepts http and https, normalised', () => {
    expect(parseCoreOptions({ ...valid, endpoint: 'HTTP://Collector.Example.com:80/v1/traces' }).endpoint).toBe(
      'http://collector.example.com/v1/traces',
    );
    expect(parseCoreOptions({ ...valid, endpoint: ' https://c.example/v1/traces ' }).endpoint).toBe('https://c.example/v1/traces');
  });

  it('resolves a relative endpoint against the base', () => {
    expect(parseCoreOptions({ ...valid, endpoint: '/otlp/v1/traces' }, 'https://shop.example/cart?x=1').endpoint).toBe(
      'https://shop.example/otlp/v1/traces',
    );
    // Only an absolute http(s) URL or a root-relative path: nothing protocol- or page-relative.
    for (const raw of ['v1/traces', './v1/traces', '//collector.example.com/v1/traces', 'https://c.example/a b']) {
      expect(configError(() => parseEndpoint(raw, 'https://shop.example/app/page')).option).toBe('endpoint');
    }
    // Relative without a base is not a URL.
    expectOptionError({ ...valid, endpoint: '/otlp/v1/traces' }, 'endpoint');
    // An absolute endpoint ignores the base.
    expect(parseEndpoint('https://c.example/v1/traces', 'https://shop.example/')).toBe('https://c.example/v1/traces');
  });
});

describe('parseCoreOptions: numbers', () => {
  it('accepts sampleRate 0, 1 and in between', () => {
    expect(parseCoreOptions({ ...valid, sampleRate: 0 }).sampleRate).toBe(0);
    expect(parseCoreOptions({ ...valid, sampleRate: 1 }).sampleRate).toBe(1);
    expect(parseCoreOptions({ ...valid, sampleRate: 0.25 }).sampleRate).toBe(0.25);
  });

  it('rejects sampleRate 7, -1, NaN, Infinity and the string "0.5"', () => {
    expect(expectOptionError({ ...valid, sampleRate: 7 }, 'sampleRate').message).toContain('got 7');
    expect(expectOptionError({ ...valid, sampleRate: -1 }, 'sampleRate').message).toContain('got -1');
    expect(expectOptionError({ ...valid, sampleRate: '0.5' }, 'sampleRate').message).toContain('got "0.5"');
    expectOptionError({ ...valid, sampleRate: NaN }, 'sampleRate');
    expectOptionError({ ...valid, sampleRate: Infinity }, 'sampleRate');
  });

  it('quotes a non-finite number as written, not as JSON null', () => {
    // JSON.stringify(NaN) is "null": the message would claim the user passed null.
    expect(expectOptionError({ ...valid, sampleRate: NaN }, 'sampleRate').message).toContain('got NaN');
    expect(expectOptionError({ ...valid, sampleRate: Infinity }, 'sampleRate').message).toContain('got Infinity');
  });

  it('insists on integers in range for the queue options', () => {
    expectOptionError({ ...valid, maxQueueSize: 0 }, 'maxQueueSize');
    expectOptionError({ ...valid, maxQueueSize: 1.5 }, 'maxQueueSize');
    expectOptionError({ ...valid, maxQueueSize: '10' }, 'maxQueueSize');
    expectOptionError({ ...valid, maxExportBatchSize: 0 }, 'maxExportBatchSize');
    expectOptionError({ ...valid, maxExportBatchSize: 100_001 }, 'maxExportBatchSize');
    expectOptionError({ ...valid, scheduledDelayMillis: -1 }, 'scheduledDelayMillis');
    expectOptionError({ ...valid, scheduledDelayMillis: 3_600_001 }, 'scheduledDelayMillis');
    const c = parseCoreOptions({ ...valid, maxQueueSize: 1, maxExportBatchSize: 100_000, scheduledDelayMillis: 0 });
    expect([c.maxQueueSize, c.maxExportBatchSize, c.scheduledDelayMillis]).toEqual([1, 100_000, 0]);
  });

  it('applies the defaults (also for null)', () => {
    for (const extra of [{}, { sampleRate: null, maxQueueSize: null, maxExportBatchSize: null, scheduledDelayMillis: null }]) {
      const c = parseCoreOptions({ ...valid, ...extra });
      expect(c).toEqual({
        serviceName: 'shop',
        endpoint: 'https://collector.example.com/v1/traces',
        serviceVersion: undefined,
        environment: undefined,
        attributes: {},
        headers: {},
        sampleRate: 1,
        maxQueueSize: 2048,
        maxExportBatchSize: 512,
        scheduledDelayMillis: 5000,
      });
    }
  });
});

describe('parseCoreOptions: attributes and headers', () => {
  it('accepts primitive and array attribute values', () => {
    const attributes = { a: 's', b: 1, c: true, d: ['x', 'y'], e: [1, null] };
    expect(parseCoreOptions({ ...valid, attributes }).attributes).toEqual(attributes);
  });

  it('rejects object and other values naming attributes.<key>', () => {
    for (const bad of [{ nested: 1 }, null, undefined, NaN, () => 1, [{}], [[1]]]) {
      const e = expectOptionError({ ...valid, attributes: { ok: 'fine', 'team.owner': bad } }, 'attributes.team.owner');
      expect(e.message).toContain('"attributes.team.owner"');
    }
  });

  it('rejects attributes that are not an object', () => {
    expectOptionError({ ...valid, attributes: ['a'] }, 'attributes');
    expectOptionError({ ...valid, attributes: 'a=b' }, 'attributes');
  });

  it('insists on string header values naming headers.<key>', () => {
    expect(parseCoreOptions({ ...valid, headers: { 'x-api-key': 'k' } }).headers).toEqual({ 'x-api-key': 'k' });
    expectOptionError({ ...valid, headers: { 'x-api-key': 1 } }, 'headers.x-api-key');
    expectOptionError({ ...valid, headers: 'x' }, 'headers');
  });
});

describe('parseBrowserOptions', () => {
  const base = 'https://shop.example/checkout';

  it('never traces the endpoint, with or without a query or fragment', () => {
    const c = parseBrowserOptions({ ...valid }, base);
    const ep = 'https://collector.example.com/v1/traces';
    expect(matchesAny(ep, c.ignoreUrls)).toBe(true);
    expect(matchesAny(ep + '?api_key=1', c.ignoreUrls)).toBe(true);
    expect(matchesAny(ep + '#x', c.ignoreUrls)).toBe(true);
    // Other URLs on the same host are traced.
    expect(matchesAny('https://collector.example.com/v1/traces2', c.ignoreUrls)).toBe(false);
    expect(matchesAny('https://collector.example.com/v1/traces/x', c.ignoreUrls)).toBe(false);
    expect(matchesAny('https://collector.example.com/v1/metrics', c.ignoreUrls)).toBe(false);
    expect(matchesAny('https://collector.example.com/', c.ignoreUrls)).toBe(false);
    // Regex metacharacters in the endpoint are literal.
    expect(matchesAny('https://collectorXexample.com/v1/traces', c.ignoreUrls)).toBe(false);
  });

  it('ignores a relative endpoint resolved against the page, plus user ignoreUrls', () => {
    const c = parseBrowserOptions({ ...valid, endpoint: '/otlp/v1/traces', ignoreUrls: ['https://cdn.example/', /\/health$/] }, base);
    expect(c.endpoint).toBe('https://shop.example/otlp/v1/traces');
    expect(matchesAny('https://shop.example/otlp/v1/traces', c.ignoreUrls)).toBe(true);
    expect(matchesAny('https://shop.example/otlp/v1/traces?x', c.ignoreUrls)).toBe(true);
    expect(matchesAny('https://shop.example/api', c.ignoreUrls)).toBe(false);
    expect(matchesAny('https://cdn.example/x.js', c.ignoreUrls)).toBe(true);
    expect(matchesAny('https://shop.example/health', c.ignoreUrls)).toBe(true);
  });

  it('ignores an endpoint that has its own query string', () => {
    const c = parseBrowserOptions({ ...valid, endpoint: 'https://c.example/v1/traces?key=a.b' }, base);
    expect(matchesAny('https://c.example/v1/traces?key=a.b', c.ignoreUrls)).toBe(true);
    expect(matchesAny('https://c.example/v1/traces?key=aXb', c.ignoreUrls)).toBe(false);
    expect(matchesAny('https://c.example/v1/other', c.ignoreUrls)).toBe(false);
  });

  it('parses propagateTo patterns and rejects bad ones naming the index', () => {
    const c = parseBrowserOptions({ ...valid, propagateTo: ['https://api.example.com', /^https:\/\/x\./] }, base);
    expect(c.propagateTo).toHaveLength(2);
    expect(matchesAny('https://api.example.com/a', c.propagateTo)).toBe(true);
    expect(matchesAny('https://x.example/a', c.propagateTo)).toBe(true);
    expect(matchesAny('https://api.example.com.evil.net/', c.propagateTo)).toBe(false);
    // A single pattern is accepted too.
    expect(parseBrowserOptions({ ...valid, propagateTo: 'https://api.example.com' }, base).propagateTo).toHaveLength(1);
    expect(parseBrowserOptions({ ...valid }, base).propagateTo).toEqual([]);
    const e = configError(() => parseBrowserOptions({ ...valid, propagateTo: ['https://ok.example', 5] }, base));
    expect(e.option).toBe('propagateTo[1]');
    const e2 = configError(() => parseBrowserOptions({ ...valid, ignoreUrls: [{}] }, base));
    expect(e2.option).toBe('ignoreUrls[0]');
  });

  it('validates the core options first', () => {
    expect(configError(() => parseBrowserOptions({ endpoint: '/x' }, base)).option).toBe('serviceName');
    expect(configError(() => parseBrowserOptions(null, base)).option).toBe('options');
  });
});
