import { describe, expect, it } from 'vitest';
import { matchesAny, splitList, toUrlRegExp } from '../../src/core/urlMatch';

const matches = (pattern: string | RegExp, url: string) => matchesAny(url, [toUrlRegExp(pattern)]);

describe('toUrlRegExp: bare origin', () => {
  const origin = 'https://api.example.com';

  it('matches itself and its paths, queries and fragments', () => {
    for (const url of [origin, origin + '/', origin + '/v1/orders', origin + '?q=1', origin + '#top', origin + '/a?b#c']) {
      expect(matches(origin, url), url).toBe(true);
    }
  });

  it('does not match look-alike hosts, other ports or the other scheme', () => {
    for (const url of [
      'https://api.example.com.evil.net',
      'https://api.example.com.evil.net/x',
      'https://api.example.community/',
      'https://api.example.com:8443/',
      'https://api.example.com:8443',
      'https://api.example.com@evil.net/',
      'http://api.example.com/',
      'https://apiXexample.com/',
      'https://evil.net/?https://api.example.com',
    ]) {
      expect(matches(origin, url), url).toBe(false);
    }
    expect(matches('http://api.example.com', 'https://api.example.com/')).toBe(false);
  });

  it('normalises the pattern (case, default port, surrounding blanks)', () => {
    expect(matches('  HTTPS://API.Example.com  ', 'https://api.example.com/x')).toBe(true);
    expect(matches('https://api.example.com:443', 'https://api.example.com/x')).toBe(true);
    expect(matches('https://api.example.com:443', 'https://api.example.com:4430/x')).toBe(false);
    expect(matches('http://localhost:8080', 'http://localhost:8080/x')).toBe(true);
    expect(matches('http://localhost:8080', 'http://localhost:80801/x')).toBe(false);
  });
});

describe('toUrlRegExp: prefixes and RegExps', () => {
  it('treats a URL with a path as a plain prefix', () => {
    const p = 'https://b.example/api/';
    expect(matches(p, 'https://b.example/api/')).toBe(true);
    expect(matches(p, 'https://b.example/api/v1?x')).toBe(true);
    expect(matches(p, 'https://b.example/api')).toBe(false);
    expect(matches(p, 'https://b.example/apix')).toBe(false);
    expect(matches(p, 'https://b.example/other/api/')).toBe(false);
    // Without a trailing slash it is still just a prefix.
    expect(matches('https://b.example/api', 'https://b.example/apix')).toBe(true);
  });

  it('treats an origin with a trailing slash, or a query, as a prefix', () => {
    expect(matches('https://b.example/', 'https://b.example/x')).toBe(true);
    expect(matches('https://b.example/', 'https://b.example')).toBe(false);
    expect(matches('https://b.example?x=1', 'https://b.example?x=1&y')).toBe(true);
    expect(matches('https://b.example?x=1', 'https://b.example/')).toBe(false);
  });

  it('escapes regex metacharacters in strings', () => {
    expect(matches('https://b.example/a.b?c=(1)', 'https://b.example/a.b?c=(1)&d')).toBe(true);
    expect(matches('https://b.example/a.b', 'https://b.example/aXb')).toBe(false);
    expect(matches('not a url [', 'not a url [x')).toBe(true);
    expect(matches('not a url [', 'not a url x')).toBe(false);
  });

  it('uses a RegExp as is', () => {
    const re = /\/graphql$/;
    expect(toUrlRegExp(re)).toBe(re);
    expect(matches(re, 'https://any.example/graphql')).toBe(true);
    expect(matches(re, 'https://any.example/graphql/x')).toBe(false);
  });

  it('gives the same answer twice in a row for global and sticky RegExps', () => {
    for (const re of [/example/g, /https:/y, /https/gy]) {
      const list = [toUrlRegExp(re)];
      const url = 'https://api.example.com/';
      expect(matchesAny(url, list)).toBe(true);
      expect(matchesAny(url, list)).toBe(true);
      expect(matchesAny(url, list)).toBe(true);
    }
  });

  it('matchesAny is false for no patterns and true when any matches', () => {
    expect(matchesAny('https://a.example/', [])).toBe(false);
    expect(matchesAny('https://b.example/x', [toUrlRegExp('https://a.example'), toUrlRegExp('https://b.example')])).toBe(true);
  });
});

describe('splitList', () => {
  it('splits on commas and whitespace, dropping empties', () => {
    expect(splitList('https://a.example, https://b.example/api/')).toEqual(['https://a.example', 'https://b.example/api/']);
    expect(splitList(' a ,,b\n\tc  d, ')).toEqual(['a', 'b', 'c', 'd']);
    expect(splitList('one')).toEqual(['one']);
  });

  it('gives [] for nothing', () => {
    expect(splitList('')).toEqual([]);
    expect(splitList(' , ')).toEqual([]);
    expect(splitList(null)).toEqual([]);
    expect(splitList(undefined)).toEqual([]);
  });
});
