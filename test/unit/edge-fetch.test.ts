import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { EdgeAgent } from '../../src/edge/agent';
import { installFetch, traceFetch, type FetchLike } from '../../src/edge/fetch';
import { traceRequest } from '../../src/edge/httpServer';
import { incomingParent } from '../support/edge';
import { SPAN_KIND, startTestAgent } from '../support/edgeAgent';
import type { OtlpReceiver } from '../support/otlpReceiver';

/* The outbound CLIENT span (fetch.ts): what it sends, what it records, what it leaves alone. */

const originalFetch = globalThis.fetch;
let agent: EdgeAgent;
let receiver: OtlpReceiver;
let close: () => Promise<void>;

interface Call {
  input: RequestInfo | URL;
  init: RequestInit | undefined;
  /** The request the runtime would send: input and init combined as fetch does. */
  sent: Request;
}

/** Request refuses URLs with credentials; fetch would too, but the span must still redact them. */
const asSent = (input: RequestInfo | URL, init?: RequestInit) => {
  try {
    return new Request(input, init);
  } catch {
    return new Request('https://unconstructible.invalid/', { headers: init?.headers });
  }
};

function fakeFetch(answer: (sent: Request) => Response | Promise<Response> = () => new Response('ok')) {
  const calls: Call[] = [];
  const fn: FetchLike = async (input, init) => {
    const sent = asSent(input, init);
    calls.push({ input, init, sent });
    return answer(sent);
  };
  return { fn, calls };
}

/** Runs `fn` inside a traced request with the given incoming headers; returns the trace id. */
async function inRequest(headers: Record<string, string>, fn: () => Promise<unknown>): Promise<void> {
  await traceRequest(agent, new Request('https://edge.example/in', { headers }), async () => {
    await fn();
    return new Response('');
  });
  await agent.flush();
}

const clientSpans = () => receiver.spans.filter((s) => s.kind === SPAN_KIND.CLIENT);

beforeAll(async () => {
  ({ agent, receiver, close } = await startTestAgent());
});
beforeEach(() => receiver.reset());
afterAll(async () => {
  await close();
  globalThis.fetch = originalFetch;
});

describe('traced fetch', () => {
  it('outside a traced request, passes the call through untouched', async () => {
    const fake = fakeFetch();
    const init = { headers: { a: '1' } };
    await traceFetch(fake.fn)('https://origin.example/', init);
    expect(fake.calls[0].init).toBe(init);
    expect(fake.calls[0].sent.headers.has('traceparent')).toBe(false);
  });

  it('replaces a traceparent the request already carries; the edge CLIENT span is the parent', async () => {
    const p = incomingParent('01');
    const fake = fakeFetch();
    const forwarded = new Request('https://origin.example/api', { headers: { traceparent: p.traceparent, 'x-keep': 'yes' } });
    await inRequest({ traceparent: p.traceparent }, () => traceFetch(fake.fn)(forwarded));
    const [client] = clientSpans();
    expect(fake.calls[0].sent.headers.get('traceparent')).toBe(`00-${p.traceId}-${client.spanId}-01`);
    expect(fake.calls[0].sent.headers.get('x-keep')).toBe('yes');
  });

  it("sends the trace's tracestate and drops one the request carried when the trace has none", async () => {
    const fake = fakeFetch();
    const a = incomingParent('01');
    await inRequest({ traceparent: a.traceparent, tracestate: 'v=1, w=2' }, () =>
      traceFetch(fake.fn)('https://origin.example/', { headers: { tracestate: 'stale=1' } }),
    );
    expect(fake.calls[0].sent.headers.get('tracestate')).toBe('v=1,w=2');

    const b = incomingParent('01');
    await inRequest({ traceparent: b.traceparent, tracestate: 'v=1,V=2' /* invalid key */ }, () =>
      traceFetch(fake.fn)(new Request('https://origin.example/', { headers: { tracestate: 'v=1,V=2' } })),
    );
    expect(fake.calls[1].sent.headers.has('tracestate')).toBe(false);

    const c = incomingParent('01');
    await inRequest({ traceparent: c.traceparent, tracestate: 'v=1,v=2' /* duplicated key: the first kept */ }, () =>
      traceFetch(fake.fn)(new Request('https://origin.example/', { headers: { tracestate: 'v=1,v=2' } })),
    );
    expect(fake.calls[2].sent.headers.get('tracestate')).toBe('v=1');
  });

  it('keeps the method, body and other init fields of the call', async () => {
    const fake = fakeFetch();
    await inRequest({}, async () => {
      await traceFetch(fake.fn)('https://origin.example/post', { method: 'post', body: 'payload', headers: [['content-type', 'text/plain']], redirect: 'manual' });
      await traceFetch(fake.fn)(new Request('https://origin.example/put', { method: 'PUT', body: 'from request', headers: { 'x-a': 'b' } }));
    });
    const [post, put] = fake.calls;
    expect(post.sent.method).toBe('POST');
    expect(post.sent.redirect).toBe('manual');
    expect(post.sent.headers.get('content-type')).toBe('text/plain');
    expect(await post.sent.text()).toBe('payload');
    expect(put.sent.method).toBe('PUT');
    expect(put.sent.headers.get('x-a')).toBe('b');
    expect(put.sent.headers.has('traceparent')).toBe(true);
    expect(await put.sent.text()).toBe('from request');
    expect(clientSpans().map((s) => s.name).sort()).toEqual(['POST', 'PUT']);
  });

  it('records the semantic-convention attributes, with credentials and signatures redacted', async () => {
    // Deno's and workerd's Request take a URL with credentials (Node's refuses it): a stand-in for theirs.
    const NodeRequest = globalThis.Request;
    class LenientRequest {
      url: string;
      method: string;
      headers: Headers;
      constructor(input: RequestInfo | URL, init?: RequestInit) {
        const from = input instanceof LenientRequest ? input : undefined;
        this.url = from ? from.url : String(input);
        this.method = init?.method ?? from?.method ?? 'GET';
        this.headers = new Headers(init?.headers ?? from?.headers);
      }
    }
    const urls: string[] = [];
    globalThis.Request = LenientRequest as unknown as typeof Request;
    try {
      await inRequest({}, () =>
        traceFetch(async (input) => {
          urls.push((input as unknown as LenientRequest).url);
          return new Response('ok');
        })(new URL('https://user:pw@api.example:8443/p?sig=secret&x=1')),
      );
    } finally {
      globalThis.Request = NodeRequest;
    }
    expect(urls).toEqual(['https://user:pw@api.example:8443/p?sig=secret&x=1']);
    expect(clientSpans()[0].attributes).toEqual({
      'http.request.method': 'GET',
      'url.full': 'https://REDACTED:REDACTED@api.example:8443/p?sig=REDACTED&x=1',
      'server.address': 'api.example',
      'server.port': 8443,
      'http.response.status_code': 200,
    });
  });

  it('a 4xx/5xx answer is an error on a CLIENT span', async () => {
    const fake = fakeFetch(() => new Response('', { status: 404 }));
    await inRequest({}, () => traceFetch(fake.fn)('https://origin.example/missing'));
    expect(clientSpans()[0]).toMatchObject({ status: { code: 2 }, attributes: { 'http.response.status_code': 404, 'error.type': '404' } });
  });

  it('a network error is recorded and rethrown as the same object', async () => {
    const failure = new TypeError('fetch failed');
    const fake = fakeFetch(() => Promise.reject(failure));
    let caught: unknown;
    await inRequest({}, async () => {
      await traceFetch(fake.fn)('https://origin.example/').catch((e: unknown) => (caught = e));
    });
    expect(caught).toBe(failure);
    expect(clientSpans()[0]).toMatchObject({ status: { code: 2, message: 'fetch failed' }, attributes: { 'error.type': 'TypeError' } });
    expect(clientSpans()[0].events[0].name).toBe('exception');
  });

  it('what Request refuses, and a call with no argument, go to fetch untouched (it rejects), without a span', async () => {
    const seen: unknown[][] = [];
    const native = function (...args: unknown[]) {
      seen.push(args);
      return Promise.reject(new TypeError('native says no'));
    };
    const f = traceFetch(native as unknown as FetchLike) as (...args: unknown[]) => Promise<Response>;
    const init = { headers: { 'bad header': 'x' } };
    const outcomes: unknown[] = [];
    await inRequest({}, async () => {
      for (const args of [[], ['http://[bad'], ['https://origin.example/', init], ['https://origin.example/', 'not an init'], ['https://origin.example/', { method: 'BAD METHOD' }]]) {
        let p: Promise<Response> | undefined;
        try {
          p = f(...args);
        } catch (e) {
          outcomes.push(`threw ${String(e)}`);
        }
        outcomes.push(await p?.then(() => 'resolved', (e: Error) => e.message));
      }
    });
    expect(outcomes).toEqual(Array(5).fill('native says no'));
    expect(seen).toEqual([[], ['http://[bad'], ['https://origin.example/', init], ['https://origin.example/', 'not an init'], ['https://origin.example/', { method: 'BAD METHOD' }]]);
    expect(seen[2][1]).toBe(init);
    expect(clientSpans()).toEqual([]);
  });

  it('reads the call once, as fetch does: init getters once, a Request or inherited members as init', async () => {
    const fake = fakeFetch();
    const reads: Record<string, number> = {};
    const init = {};
    for (const [k, v] of Object.entries({ method: 'POST', body: 'getter', headers: { 'x-g': '1' } })) {
      Object.defineProperty(init, k, { enumerable: true, get: () => ((reads[k] = (reads[k] ?? 0) + 1), v) });
    }
    await inRequest({}, async () => {
      await traceFetch(fake.fn)('https://origin.example/g', init);
      await traceFetch(fake.fn)('https://origin.example/r', new Request('http://x/', { method: 'POST', body: 'from a request', headers: { 'x-r': '1' } }));
      await traceFetch(fake.fn)('https://origin.example/i', Object.create({ method: 'PUT', body: 'inherited' }) as RequestInit);
    });
    expect(reads).toEqual({ method: 1, body: 1, headers: 1 });
    const [g, r, i] = fake.calls.map((c) => c.sent);
    expect([g.method, g.url, await g.text(), g.headers.get('x-g')]).toEqual(['POST', 'https://origin.example/g', 'getter', '1']);
    expect([r.method, r.url, await r.text(), r.headers.get('x-r')]).toEqual(['POST', 'https://origin.example/r', 'from a request', '1']);
    expect([i.method, await i.text()]).toEqual(['PUT', 'inherited']);
    expect(fake.calls.every((c) => c.sent.headers.has('traceparent'))).toBe(true);
    expect(clientSpans().map((s) => s.name).sort()).toEqual(['POST', 'POST', 'PUT']);
  });

  it('sends a streamed body (duplex: half)', async () => {
    const fake = fakeFetch();
    const body = new ReadableStream({
      start(ctl) {
        ctl.enqueue(new TextEncoder().encode('streamed'));
        ctl.close();
      },
    });
    await inRequest({}, () => traceFetch(fake.fn)('https://origin.example/s', { method: 'POST', body, duplex: 'half' } as RequestInit));
    expect(await fake.calls[0].sent.text()).toBe('streamed');
    expect(fake.calls[0].sent.headers.has('traceparent')).toBe(true);
  });

  it('passes `this` on (but not the global object): a synchronous throw reaches the caller, with no span exported', async () => {
    const thisSeen: unknown[] = [];
    const native = function (this: unknown) {
      thisSeen.push(this);
      if (this !== undefined) throw new TypeError('Illegal invocation');
      return Promise.resolve(new Response('ok'));
    };
    const f = traceFetch(native as unknown as FetchLike);
    let thrown: unknown;
    await inRequest({}, async () => {
      await f.call(globalThis, 'https://origin.example/global');
      try {
        void f.call({}, 'https://origin.example/other');
      } catch (e) {
        thrown = e;
      }
    });
    expect(thisSeen).toEqual([undefined, {}]);
    expect(String(thrown)).toBe('TypeError: Illegal invocation');
    expect(clientSpans()).toHaveLength(1);
  });

  it('takes the name, length and prototype (or none) of the fetch it stands for', () => {
    const method = { fetch(_input: unknown) {} }.fetch;
    const plain = function fetch() {};
    const shape = (f: unknown) => [(f as () => void).name, (f as () => void).length, 'prototype' in (f as object)];
    expect(shape(traceFetch(async () => new Response()))).toEqual(['fetch', 1, false]);
    expect(shape(traceFetch(async () => new Response(), method))).toEqual(['fetch', 1, false]);
    expect(shape(traceFetch(async () => new Response(), plain))).toEqual(['fetch', 0, true]);
  });

  it('installFetch wraps the global fetch once, calling the original as a plain function', async () => {
    const seen: unknown[] = [];
    const plain = function (this: unknown, input: RequestInfo | URL) {
      seen.push(this);
      return Promise.resolve(new Response(String(input)));
    };
    globalThis.fetch = plain as typeof fetch;
    installFetch();
    const wrapped = globalThis.fetch;
    installFetch();
    expect(globalThis.fetch).toBe(wrapped);
    expect(wrapped).not.toBe(plain);
    expect([wrapped.name, wrapped.length]).toEqual(['plain', 1]);
    await inRequest({}, () => globalThis.fetch('https://origin.example/'));
    expect(seen).toEqual([undefined]);
    expect(clientSpans()).toHaveLength(1);
    globalThis.fetch = originalFetch;
  });
});
