import { describe, expect, it } from 'vitest';
import { redactUrl, safeRedactor } from '../../src/core/redact';

describe('redactUrl', () => {
  it('hides the values of secret-looking query parameters, keeping the rest and the fragment', () => {
    expect(redactUrl('https://a.example/p?token=abc&q=1#frag')).toBe('https://a.example/p?token=REDACTED&q=1#frag');
    expect(redactUrl('/cart?access_token=x&apiKey=y&step=2&code=z&X-Goog-Signature=s&sig=t')).toBe(
      '/cart?access_token=REDACTED&apiKey=REDACTED&step=2&code=REDACTED&X-Goog-Signature=REDACTED&sig=REDACTED',
    );
    expect(redactUrl('https://a.example/?password=p&passwd=q&session_id=r&AWSAccessKeyId=k')).toBe(
      'https://a.example/?password=REDACTED&passwd=REDACTED&session_id=REDACTED&AWSAccessKeyId=REDACTED',
    );
  });

  it('matches encoded parameter names and leaves valueless ones alone', () => {
    expect(redactUrl('https://a.example/?%74oken=abc&flag&token')).toBe('https://a.example/?%74oken=REDACTED&flag&token');
  });

  it('hides user info as the semantic conventions ask', () => {
    expect(redactUrl('https://user:pw@a.example/x')).toBe('https://REDACTED:REDACTED@a.example/x');
  });

  it('leaves URLs without secrets untouched, byte for byte', () => {
    for (const u of ['https://a.example/', '/relative?q=1&page=2', 'data:text/plain,token=1', 'https://a.example/?signal=1&keyboard']) {
      expect(redactUrl(u)).toBe(u);
    }
  });

  it('a user rule that throws or returns a non-string hides the whole URL', () => {
    expect(safeRedactor(() => { throw new Error('x'); })('https://a/')).toBe('REDACTED');
    expect(safeRedactor(() => 42 as unknown as string)('https://a/')).toBe('REDACTED');
    expect(safeRedactor((u) => u.toUpperCase())('https://a/')).toBe('HTTPS://A/');
  });
});
