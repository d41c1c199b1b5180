import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, collectPageProblems } from '../support/chromium';
import { startSite, type Site } from '../support/site';
import { newEchoState, sameOriginRoutes } from './host-echo';

/*
 * Issue 8: bad configuration, attribute limits and values that cannot be encoded, and the
 * agent's lifecycle (init twice, init after load, shutdown then init), in Chromium.
 */

const FIXTURES = resolve(import.meta.dirname, 'fixtures');
const CLIENT = 3;

let browser: Browser;
let site: Site;
const state = newEchoState();

beforeAll(async () => {
  site = await startSite(FIXTURES, {
    ...sameOriginRoutes(state),
    // A page whose script tag carries the data-* attributes given in the query string.
    '/tag.html': (req, res) => {
      const q = new URL(req.url ?? '/', 'http://x').searchParams;
      const attrs = [...q].map(([k, v]) => ` data-${k}="${v.replace(/"/g, '&quot;')}"`).join('');
      res
        .writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
        .end(`<!doctype html><html><head><meta charset="utf-8"><script src="/dist/tracelet.min.js"${attrs}></script></head><body>tag</body></html>`);
    },
  });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await site?.close();
});
beforeEach(() => site.receiver.reset());

interface Opened {
  page: Page;
  problems: { errors: string[] };
  console: { type: string; text: string }[];
}

/** A fresh context on blank.html (or `path`); the agent is added with a plain script tag (no data-*: no auto start). */
async function open(path = '/blank.html', addAgent = true): Promise<Opened> {
  const page = await (await browser.newContext()).newPage();
  const problems = collectPageProblems(page);
  const console: Opened['console'] = [];
  page.on('console', (m) => console.push({ type: m.type(), text: m.text() }));
  await page.goto(site.page.url + path);
  if (addAgent) await page.addScriptTag({ url: '/dist/tracelet.min.js' });
  return { page, problems, console };
}

const sawTraceparent = (c: string) => state.seen.filter((s) => s.c === c).map((s) => s.traceparent ?? null);

describe('bad configuration: one console error naming the option (from the agent, loaded at once), the page untouched and untraced', () => {
  // [what is wrong, the options (as JS source), the option the message must name]
  const CASES: [string, string, string][] = [
    ['serviceName a number', "{ serviceName: 5, endpoint: '/v1/traces' }", 'serviceName'],
    ['serviceName missing', "{ endpoint: '/v1/traces' }", 'serviceName'],
    ['endpoint not a URL', "{ serviceName: 's', endpoint: 'not a url' }", 'endpoint'],
    ['endpoint ftp', "{ serviceName: 's', endpoint: 'ftp://127.0.0.1/v1/traces' }", 'endpoint'],
    ['endpoint javascript:', "{ serviceName: 's', endpoint: 'javascript:alert(1)' }", 'endpoint'],
    ['endpoint a number', "{ serviceName: 's', endpoint: 42 }", 'endpoint'],
    ['sample rate 7', "{ serviceName: 's', endpoint: '/v1/traces', sampleRate: 7 }", 'sampleRate'],
    ['sample rate a string', "{ serviceName: 's', endpoint: '/v1/traces', sampleRate: '0.5' }", 'sampleRate'],
    ['sample rate NaN', "{ serviceName: 's', endpoint: '/v1/traces', sampleRate: NaN }", 'sampleRate'],
    ['maxQueueSize negative', "{ serviceName: 's', endpoint: '/v1/traces', maxQueueSize: -1 }", 'maxQueueSize'],
    ['maxExportBatchSize fractional', "{ serviceName: 's', endpoint: '/v1/traces', maxExportBatchSize: 1.5 }", 'maxExportBatchSize'],
    ['scheduledDelayMillis a word', "{ serviceName: 's', endpoint: '/v1/traces', scheduledDelayMillis: 'soon' }", 'scheduledDelayMillis'],
    ['unknown instrumentation', "{ serviceName: 's', endpoint: '/v1/traces', instrumentations: { bogus: true } }", 'instrumentations.bogus'],
    ['instrumentation not a boolean', "{ serviceName: 's', endpoint: '/v1/traces', instrumentations: { fetch: 'yes' } }", 'instrumentations.fetch'],
    ['instrumentations an array', "{ serviceName: 's', endpoint: '/v1/traces', instrumentations: [] }", 'instrumentations'],
    ['redactUrl not a function', "{ serviceName: 's', endpoint: '/v1/traces', redactUrl: 'x' }", 'redactUrl'],
    ['propagateTo holds a number', "{ serviceName: 's', endpoint: '/v1/traces', propagateTo: [5] }", 'propagateTo[0]'],
    ['ignoreUrls holds an object', "{ serviceName: 's', endpoint: '/v1/traces', ignoreUrls: [{}] }", 'ignoreUrls[0]'],
    ['header value a number', "{ serviceName: 's', endpoint: '/v1/traces', headers: { 'x-key': 1 } }", 'headers.x-key'],
    ['attribute an object', "{ serviceName: 's', endpoint: '/v1/traces', attributes: { a: {} } }", 'attributes.a'],
    ['serviceVersion a number', "{ serviceName: 's', endpoint: '/v1/traces', serviceVersion: 1 }", 'serviceVersion'],
    ['options null', 'null', 'options'],
    ['options a string', "'serviceName=s'", 'options'],
  ];

  it(`${CASES.length} mistakes through Tracelet.init(), and bad data-* attributes on the script tag`, async () => {
    const wrong: string[] = [];
    // One page, a fresh document per case.
    const { page, problems, console: logged } = await open('/blank.html', false);
    const check = async (label: string, option: string, from: { console: number; problems: number }) => {
      const c = `cfg-${label.replace(/\W+/g, '-')}`;
      const after = await page.evaluate(async (c) => {
        const res = await fetch('/echo?c=' + c);
        const x = new XMLHttpRequest();
        x.open('GET', '/echo?c=' + c);
        const xhr = await new Promise((r) => {
          x.onloadend = () => r(x.status);
          x.send();
        });
        return {
          status: res.status,
          xhr,
          agent: (window as any).Tracelet.getAgent() === undefined,
          fetchNative: fetch.toString().includes('[native code]'),
          openNative: XMLHttpRequest.prototype.open.toString().includes('[native code]'),
        };
      }, c);
      // (Chromium's own "Failed to load resource" for /favicon.ico is not the page's business.)
      const pageErrors = () => logged.slice(from.console).filter((m) => m.type === 'error' && !m.text.startsWith('Failed to load resource'));
      // The loader refuses quietly and loads the agent at once, which names the mistake: wait
      // for that (bounded), not for any error (the favicon's 404 came first in CI once).
      for (let i = 0; i < 100 && !pageErrors().length; i++) await page.waitForTimeout(50);
      const mine = logged.slice(from.console);
      const errors = pageErrors();
      const named = new RegExp(`^tracelet: option "${option.replace(/[.[\]]/g, '\\$&')}" `);
      if (errors.length !== 1 || !named.test(errors[0].text)) wrong.push(`${label}: console errors ${JSON.stringify(errors.map((e) => e.text))}`);
      if (mine.some((m) => m.type === 'warning' && m.text.includes('tracelet'))) wrong.push(`${label}: warned`);
      const thrown = problems.errors.slice(from.problems).filter((e) => !e.startsWith('console.error: tracelet'));
      if (thrown.length) wrong.push(`${label}: ${thrown}`);
      if (JSON.stringify(after) !== JSON.stringify({ status: 200, xhr: 200, agent: true, fetchNative: true, openNative: true })) wrong.push(`${label}: page state ${JSON.stringify(after)}`);
      if (sawTraceparent(c).some((t) => t !== null)) wrong.push(`${label}: a traceparent was sent`);
    };
    const mark = () => ({ console: logged.length, problems: problems.errors.length });
    for (const [label, options, option] of CASES) {
      await page.goto(`${site.page.url}/blank.html?${encodeURIComponent(label)}`);
      const from = mark();
      await page.addScriptTag({ url: '/dist/tracelet.min.js' });
      const enabled = await page.evaluate((src) => (window as any).Tracelet.init(new Function(`return ${src}`)()).enabled, options);
      if (enabled !== false) wrong.push(`${label}: enabled ${enabled}`);
      await check(label, option, from);
    }
    for (const [label, query, option] of [
      ['data-sample-rate=7', 'endpoint=/v1/traces&service-name=s&sample-rate=7', 'sampleRate'],
      ['data-sample-rate=lots', 'endpoint=/v1/traces&service-name=s&sample-rate=lots', 'sampleRate'],
      ['data-endpoint=nope', 'endpoint=nope&service-name=s', 'endpoint'],
      ['data-service-name missing', 'endpoint=/v1/traces', 'serviceName'],
      ['data-propagate-to garbage', 'endpoint=/v1/traces&service-name=s&propagate-to=%2C%2C%20%2C&sample-rate=-1', 'sampleRate'],
    ]) {
      const from = mark();
      await page.goto(`${site.page.url}/tag.html?${query}`);
      await check(label, option, from);
    }
    await page.context().close();
    await new Promise((r) => setTimeout(r, 300));
    expect(wrong).toEqual([]);
    // Nothing was ever exported.
    expect(site.receiver.requests).toEqual([]);
  });
});

describe('lifecycle', () => {
  it('init twice: the second call returns the running agent and warns once; requests are traced once', async () => {
    const { page, problems, console: logged } = await open();
    const out = await page.evaluate(async (endpoint) => {
      const T = (window as any).Tracelet;
      const a = T.init({ serviceName: 'first', endpoint, scheduledDelayMillis: 60000 });
      const b = T.init({ serviceName: 'second', endpoint, sampleRate: 0 });
      const c = T.init({ serviceName: 'third', endpoint: 'not a url' });
      await (await fetch('/echo?c=twice')).text();
      await new Promise((r) => setTimeout(r, 400));
      await a.flush();
      const agent = await new Promise((r) => a.onReady(r));
      return { same: a === b && b === c && T.getAgent() === agent, enabled: a.enabled };
    }, site.sameOriginEndpoint);
    expect(out).toEqual({ same: true, enabled: true });
    expect(logged.filter((m) => m.type === 'warning' && m.text.includes('tracelet'))).toHaveLength(2);
    expect(logged.filter((m) => m.type === 'warning' && m.text.includes('tracelet'))[0].text).toMatch(/init\(\) was called again/);
    expect(problems.errors).toEqual([]);
    const spans = await site.receiver.waitForSpans((s) => s.some((x) => x.kind === CLIENT && String(x.attributes['url.full']).endsWith('c=twice')));
    expect(spans.filter((x) => x.kind === CLIENT && String(x.attributes['url.full']).endsWith('c=twice'))).toHaveLength(1);
    expect(new Set(spans.map((s) => s.resource['service.name']))).toEqual(new Set(['first']));
    expect(sawTraceparent('twice')).toHaveLength(1);
    await page.context().close();
  });

  it('init after the load event: documentLoad (with documentFetch and resources) is still recorded', async () => {
    const { page, problems } = await open('/blank.html?late', false);
    await page.waitForFunction(() => document.readyState === 'complete');
    await page.waitForTimeout(500);
    await page.addScriptTag({ url: '/dist/tracelet.min.js' });
    await page.evaluate((endpoint) => (window as any).Tracelet.init({ serviceName: 'late', endpoint }), site.sameOriginEndpoint);
    await page.waitForTimeout(300);
    await page.evaluate(() => new Promise((r) => (window as any).Tracelet.onReady((a: any) => a.flush().then(r))));
    const spans = await site.receiver.waitForSpans((s) => s.some((x) => x.name === 'documentLoad' && String(x.attributes['url.full'] ?? x.attributes['http.url']).includes('late')));
    const load = spans.find((x) => x.name === 'documentLoad')!;
    expect(spans.filter((x) => x.parentSpanId === load.spanId).map((x) => x.name)).toContain('documentFetch');
    expect(spans.filter((x) => x.name === 'documentLoad')).toHaveLength(1);
    expect(problems.errors.filter((e) => !e.includes('404'))).toEqual([]);
    await page.context().close();
  });

  it('shutdown then init: the page gets its own fetch and XHR back, old listeners are gone, the new agent traces each request once', async () => {
    const { page, problems } = await open();
    const out = await page.evaluate(async (endpoint) => {
      const T = (window as any).Tracelet;
      const originalFetch = window.fetch;
      const originalOpen = XMLHttpRequest.prototype.open;
      const xhr = (c: string) =>
        new Promise((r) => {
          const x = new XMLHttpRequest();
          x.open('GET', '/echo?c=' + c);
          x.onloadend = () => r(x.status);
          x.send();
        });
      const a = T.init({ serviceName: 'one', endpoint, scheduledDelayMillis: 60000 });
      const agentA: any = await new Promise((r) => a.onReady(r));
      const patched = window.fetch !== originalFetch && XMLHttpRequest.prototype.open !== originalOpen;
      await (await fetch('/echo?c=life-1')).text();
      await xhr('life-1x');
      await new Promise((r) => setTimeout(r, 400));
      await a.shutdown();
      await a.shutdown(); // twice is harmless
      const restored = window.fetch === originalFetch && XMLHttpRequest.prototype.open === originalOpen && T.getAgent() === undefined;
      // Between agents: untraced, and errors go unrecorded.
      await (await fetch('/echo?c=life-gap')).text();
      setTimeout(() => {
        throw new Error('between agents');
      });
      await new Promise((r) => setTimeout(r, 50));
      history.pushState({}, '', '/between');
      const b = T.init({ serviceName: 'two', endpoint, scheduledDelayMillis: 60000 });
      await (await fetch('/echo?c=life-2')).text();
      await xhr('life-2x');
      setTimeout(() => {
        throw new Error('after re-init');
      });
      await new Promise((r) => setTimeout(r, 50));
      history.pushState({}, '', '/after');
      await new Promise((r) => setTimeout(r, 400));
      await b.flush();
      const agentB = await new Promise((r) => b.onReady(r));
      return { patched, restored, fresh: a !== b && b.enabled && agentA !== agentB && T.getAgent() === agentB, statsA: agentA.stats() };
    }, site.sameOriginEndpoint);
    expect(out).toMatchObject({ patched: true, restored: true, fresh: true });
    const spans = await site.receiver.waitForSpans((s) => s.some((x) => String(x.attributes['url.full']).endsWith('c=life-2x')));
    const clients = (c: string) => spans.filter((x) => x.kind === CLIENT && String(x.attributes['url.full']).endsWith(`c=${c}`));
    for (const c of ['life-1', 'life-1x', 'life-2', 'life-2x']) expect(clients(c), c).toHaveLength(1);
    expect(clients('life-1')[0].resource['service.name']).toBe('one');
    expect(clients('life-2')[0].resource['service.name']).toBe('two');
    expect(clients('life-gap')).toHaveLength(0);
    expect(sawTraceparent('life-gap')).toEqual([null]);
    expect(sawTraceparent('life-2')).toHaveLength(1);
    // One exception span for the error after re-init, none for the one between agents.
    const errors = spans.filter((x) => x.name === 'exception');
    expect(errors.map((e) => e.events[0]?.attributes['exception.message'])).toEqual(['after re-init']);
    expect(spans.filter((x) => x.name === 'route_change').map((x) => x.attributes['url.full'])).toEqual([`${site.page.url}/after`]);
    expect(out.statsA.dropped.shutdown).toBe(0);
    expect(site.receiver.rejected).toEqual([]);
    // The two thrown errors are the page's own: nothing else reached it.
    expect(problems.errors.filter((e) => !/between agents|after re-init/.test(e))).toEqual([]);
    await page.context().close();
  });
});

describe('attribute limits and values that cannot be encoded', () => {
  it('long strings are cut at 4096, attributes past 128 dropped and counted; cyclic objects, functions, symbols, BigInt and odd names never break an export', async () => {
    const { page, problems } = await open();
    const out = await page.evaluate(async (endpoint) => {
      const T = (window as any).Tracelet;
      const agent: any = await new Promise((r) => T.init({ serviceName: 'limits', endpoint, scheduledDelayMillis: 60000 }).onReady(r));
      const tracer = T.trace.getTracer('limits-app');
      const cyclic: any = { name: 'cyclic' };
      cyclic.self = cyclic;
      const odd: [string, unknown][] = [
        ['cyclic', cyclic],
        ['function', () => 1],
        ['symbol', Symbol('s')],
        ['bigint', 10n],
        ['hugeBigint', 2n ** 80n],
        ['undefined', undefined],
        ['null', null],
        ['nan', NaN],
        ['infinity', -Infinity],
        ['date', new Date(0)],
        ['map', new Map([[1, 2]])],
        ['typed', new Uint8Array([1, 2])],
        ['nested', [[1, 2], [3]]],
        ['mixedArray', [1, 'a', true]],
        ['arrayWithHoles', [1, undefined, null, 2]],
        ['throwingToJSON', { toJSON() { throw new Error('nope'); } }],
        ['proxy', new Proxy({}, { get() { throw new Error('trap'); } })],
        ['lone surrogate', '\ud800 and \udfff'],
        ['control chars', '\u0000\u0001\n\t"\\'],
      ];
      const results: Record<string, string> = {};
      const attempt = (label: string, fn: () => void) => {
        try {
          fn();
          results[label] = 'ok';
        } catch (e) {
          results[label] = 'threw ' + (e as Error).message;
        }
      };
      // 1. Limits.
      const long = tracer.startSpan('long-strings');
      long.setAttribute('long', 'x'.repeat(10_000));
      long.setAttribute('longArray', ['y'.repeat(5000), 'short']);
      long.addEvent('long-event', { text: 'z'.repeat(9000) });
      long.end();
      const many = tracer.startSpan('many-attributes');
      for (let i = 0; i < 200; i++) many.setAttribute('k' + i, i);
      many.end();
      // 2. User values that cannot be encoded, everywhere a user can put them.
      const values = tracer.startSpan('odd-values');
      for (const [k, v] of odd) attempt('attr ' + k, () => values.setAttribute(k, v as never));
      attempt('setAttributes odd', () => values.setAttributes(Object.fromEntries(odd) as never));
      attempt('event attrs', () => values.addEvent('odd-event', Object.fromEntries(odd) as never));
      attempt('symbol key', () => values.setAttribute(Symbol('k') as never, 1));
      attempt('status object message', () => values.setStatus({ code: 2, message: cyclic }));
      attempt('recordException cyclic', () => values.recordException(cyclic));
      attempt('recordException symbol', () => values.recordException(Symbol('x') as never));
      attempt('link bad context', () => values.addLink({ context: { traceId: 'nope', spanId: 5, traceFlags: 1 } as never }));
      values.end();
      for (const [k, v] of odd) attempt('span name ' + k, () => tracer.startSpan(v as never).end());
      attempt('updateName cyclic', () => {
        const s = tracer.startSpan('renamed');
        s.updateName(cyclic);
        s.end();
      });
      attempt('event name symbol', () => {
        const s = tracer.startSpan('event-names');
        s.addEvent(Symbol('e') as never);
        s.addEvent(cyclic);
        s.end();
      });
      attempt('tracer name object', () => T.trace.getTracer(cyclic, Symbol('v') as never).startSpan('odd-scope').end());
      attempt('startSpan options odd', () => tracer.startSpan('odd-options', { attributes: cyclic, links: [cyclic], startTime: cyclic, kind: 99 } as never).end());
      attempt('end time odd', () => tracer.startSpan('odd-end').end(cyclic));
      attempt('kind out of range', () => tracer.startSpan('odd-kind', { kind: 99 } as never).end());
      attempt('kind a string', () => tracer.startSpan('odd-kind-string', { kind: 'CLIENT' } as never).end());
      tracer.startSpan('after-the-odd-ones').end();
      await agent.flush();
      await new Promise((r) => setTimeout(r, 300));
      await agent.flush();
      return { results, stats: agent.stats() };
    }, site.sameOriginEndpoint);
    // The exports: every request valid OTLP, and the spans around the odd ones arrived.
    expect(site.receiver.rejected.map((r) => r.violations)).toEqual([]);
    expect(problems.errors).toEqual([]);
    const spans = await site.receiver.waitForSpans((s) => s.some((x) => x.name === 'after-the-odd-ones'));
    const long = spans.find((s) => s.name === 'long-strings')!;
    expect(long.attributes.long).toBe('x'.repeat(4096));
    expect(long.attributes.longArray).toEqual(['y'.repeat(4096), 'short']);
    expect(long.events[0].attributes.text).toBe('z'.repeat(4096));
    const many = spans.find((s) => s.name === 'many-attributes')!;
    expect(Object.keys(many.attributes).filter((k) => /^k\d+$/.test(k))).toHaveLength(128);
    expect(many.droppedAttributesCount).toBe(72);
    const values = spans.find((s) => s.name === 'odd-values')!;
    expect(values).toBeDefined();
    // What the SDK refuses (nested or mixed arrays, objects, functions, symbols, BigInt) is not
    // recorded; strings with lone surrogates or control characters are.
    for (const k of ['cyclic', 'function', 'symbol', 'bigint', 'nested', 'mixedArray', 'map', 'proxy']) expect(values.attributes, k).not.toHaveProperty(k);
    expect(typeof values.attributes['lone surrogate']).toBe('string');
    expect(values.attributes['control chars']).toBe('\u0000\u0001\n\t"\\');
    // Whatever could not be recorded was skipped, not thrown at the page. Two calls do throw,
    // from inside @opentelemetry/sdk-trace (a Symbol in a template literal), not from tracelet:
    // recordException(symbol) and getTracer(object, symbol). The export is unaffected.
    expect(Object.entries(out.results).filter(([, r]) => r !== 'ok')).toEqual([
      ['recordException symbol', 'threw Cannot convert a Symbol value to a string'],
      ['tracer name object', 'threw Cannot convert a Symbol value to a string'],
    ]);
    // Spans named by a symbol, an object, a cyclic object: sent under a string name.
    for (const name of ['many-attributes', 'event-names', 'odd-end', 'odd-kind', 'odd-kind-string', 'Symbol(s)', '[object Object]', '[object Map]', '10', 'span']) {
      expect(spans.map((s) => s.name), name).toContain(name);
    }
    // One span cannot be encoded at all (a cyclic object as its start time and as a link):
    // it alone is dropped, and counted; the rest of its batch went out.
    expect(spans.map((s) => s.name)).not.toContain('odd-options');
    expect(out.stats.dropped).toMatchObject({ export_failed: 1, too_large: 0, queue_full: 0 });
    await page.context().close();
  });
});
