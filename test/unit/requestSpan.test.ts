import { describe, expect, it } from 'vitest';
import { requestSpan } from '../../src/browser/loader/requestSpan';
import type { RequestRecord } from '../../src/browser/loader/hub';

const record = (u: string, extra: Partial<RequestRecord> = {}): RequestRecord => ({ k: 'fetch', m: 'GET', u, i: 'b7ad6b7169203331', t: '0af7651916cd43dd8448eb211c80319c', f: 1, s: 1, e: 2, c: 200, ...extra });

describe('requestSpan', () => {
  // The host and port are read off the serialized URL: they must be what URL's parser says.
  it.each([
    'http://127.0.0.1:38379/api/ping?item=0',
    'https://shop.example.com/cart',
    'http://shop.example.com/',
    'https://shop.example.com:8443/a?b#c',
    'HTTPS://Shop.Example.COM:443/x',
    'http://user:p%40ss@api.example.com:8080/v1',
    'http://user@api.example.com/v1',
    'http://[::1]:8080/x',
    'https://[2001:db8::1]/x',
    'http://xn--bcher-kva.example/',
    'https://bücher.example/path',
  ])('%s: server.address and server.port as the URL parser gives them', (input) => {
    const u = new URL(input);
    const { attributes } = requestSpan(record(u.href));
    expect(attributes['server.address']).toBe(u.hostname);
    expect(attributes['server.port']).toBe(+u.port || (u.protocol === 'https:' ? 443 : 80));
    expect(attributes['url.full']).toBe(u.href);
  });

  it('says a failure as error.type, an HTTP error by its status', () => {
    expect(requestSpan(record('https://a.example/', { c: 503 }))).toMatchObject({ failed: '503', attributes: { 'error.type': '503', 'http.response.status_code': 503 } });
    expect(requestSpan(record('https://a.example/', { c: 0, x: 'TypeError' }))).toMatchObject({ failed: 'TypeError', attributes: { 'error.type': 'TypeError' } });
    expect(requestSpan(record('https://a.example/')).failed).toBeUndefined();
  });
});
