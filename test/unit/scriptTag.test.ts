// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { optionsFromScriptTag } from '../../src/browser/scriptTag';
import { parseBrowserOptions } from '../../src/browser/options';
import { ConfigError } from '../../src/core/config';

function script(attrs: Record<string, string>): HTMLScriptElement {
  const el = document.createElement('script');
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  return el;
}

describe('optionsFromScriptTag', () => {
  it('reads every data-* option', () => {
    const o = optionsFromScriptTag(
      script({
        src: '/tracelet.js',
        'data-endpoint': 'https://collector.example.com/v1/traces',
        'data-service-name': 'shop',
        'data-service-version': '1.4.2',
        'data-environment': 'staging',
        'data-propagate-to': 'https://a.example, https://b.example/api/',
        'data-sample-rate': '0.25',
      }),
    );
    expect(o).toEqual({
      endpoint: 'https://collector.example.com/v1/traces',
      serviceName: 'shop',
      serviceVersion: '1.4.2',
      environment: 'staging',
      propagateTo: ['https://a.example', 'https://b.example/api/'],
      sampleRate: 0.25,
    });
    // And they make a valid configuration.
    const c = parseBrowserOptions(o, 'https://shop.example/');
    expect(c.sampleRate).toBe(0.25);
    expect(c.propagateTo).toHaveLength(2);
  });

  it('gives undefined without data-endpoint and data-service-name, or without a script', () => {
    expect(optionsFromScriptTag(null)).toBeUndefined();
    expect(optionsFromScriptTag(script({ src: '/tracelet.js' }))).toBeUndefined();
    expect(optionsFromScriptTag(script({ 'data-environment': 'prod', 'data-sample-rate': '1' }))).toBeUndefined();
  });

  it('returns options when only one of the two is present, so validation names the other', () => {
    const o = optionsFromScriptTag(script({ 'data-endpoint': '/v1/traces' }));
    expect(o).toBeDefined();
    expect(o!.endpoint).toBe('/v1/traces');
    expect(o!.serviceName).toBeUndefined();
    expect(o!.propagateTo).toEqual([]);
    expect(o).not.toHaveProperty('sampleRate');
    let error: unknown;
    try {
      parseBrowserOptions(o, 'https://shop.example/');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).option).toBe('serviceName');
    expect(optionsFromScriptTag(script({ 'data-service-name': 'shop' }))!.serviceName).toBe('shop');
  });

  it('keeps a sample rate that is not a number as the raw text, so the error quotes it', () => {
    for (const raw of ['abc', '', '  ', '50%', 'Infinity']) {
      const o = optionsFromScriptTag(script({ 'data-endpoint': 'https://c.example/v1/traces', 'data-service-name': 's', 'data-sample-rate': raw }));
      expect(o!.sampleRate, JSON.stringify(raw)).toBe(raw);
    }
    const o = optionsFromScriptTag(script({ 'data-endpoint': 'https://c.example/v1/traces', 'data-service-name': 's', 'data-sample-rate': 'abc' }));
    let error: unknown;
    try {
      parseBrowserOptions(o, 'https://shop.example/');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).option).toBe('sampleRate');
    expect((error as Error).message).toContain('"abc"');
  });

  it('reads numeric text with blanks, and keeps an out-of-range number for validation to reject', () => {
    const base = { 'data-endpoint': 'https://c.example/v1/traces', 'data-service-name': 's' };
    expect(optionsFromScriptTag(script({ ...base, 'data-sample-rate': ' 0.5 ' }))!.sampleRate).toBe(0.5);
    expect(optionsFromScriptTag(script({ ...base, 'data-sample-rate': '0' }))!.sampleRate).toBe(0);
    expect(optionsFromScriptTag(script({ ...base, 'data-sample-rate': '7' }))!.sampleRate).toBe(7);
  });
});
