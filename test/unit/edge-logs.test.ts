import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatMessage, logsEndpoint } from '../../src/core/otlpLogs';
import { createAgent, type EdgeAgent } from '../../src/edge/agent';
import { parseEdgeOptions } from '../../src/edge/config';
import { traceRequest } from '../../src/edge/httpServer';
import { incomingParent, serverTimingTraceparent } from '../support/edge';
import { startOtlpLogsReceiver, validateLogs, type OtlpLogsReceiver } from '../support/otlpLogsReceiver';

/* logs: true at the edge wrappers, in node (real workerd and Deno: test/e2e/edge-logs.test.ts). */

const printed: unknown[][] = [];
let receiver: OtlpLogsReceiver;
let on: EdgeAgent;
let off: EdgeAgent;

beforeAll(async () => {
  // What the console prints: a recorder installed before tracelet wraps console.
  for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) console[level] = (...args: unknown[]) => void printed.push([level, ...args]);
  receiver = await startOtlpLogsReceiver();
  on = createAgent(parseEdgeOptions({ serviceName: 'logs-on', endpoint: receiver.url, logs: true }), {});
  off = createAgent(parseEdgeOptions({ serviceName: 'logs-off', endpoint: receiver.url.replace('/v1/traces', '/off/v1/traces') }), {});
});
afterAll(() => receiver?.close());

describe('logs: true', () => {
  it('console calls inside a traced request become OTLP log records with its trace and span ids; the console prints the same', async () => {
    const p = incomingParent('01');
    const err = new TypeError('bad thing');
    const res = await traceRequest(on, new Request('https://e.example/x', { headers: { traceparent: p.traceparent } }), () => {
      console.log('hello %s, %d items', 'world', 3, { a: [1, 2] });
      console.info('info');
      console.warn('careful');
      console.error(err);
      console.debug('details', 42n, null);
      return new Response('ok');
    });
    console.log('outside any request');
    const spanId = serverTimingTraceparent(res.headers.get('server-timing'))!.split('-')[2];
    await on.flush();
    expect(printed.slice(-6)).toEqual([
      ['log', 'hello %s, %d items', 'world', 3, { a: [1, 2] }],
      ['info', 'info'],
      ['warn', 'careful'],
      ['error', err],
      ['debug', 'details', 42n, null],
      ['log', 'outside any request'],
    ]);
    expect(receiver.rejected).toEqual([]);
    const logs = receiver.logs.filter((l) => l.traceId === p.traceId);
    expect(logs.map((l) => [l.severityNumber, l.severityText, l.body.split('\n')[0]])).toEqual([
      [9, 'INFO', 'hello world, 3 items {"a":[1,2]}'],
      [9, 'INFO', 'info'],
      [13, 'WARN', 'careful'],
      [17, 'ERROR', 'TypeError: bad thing'],
      [5, 'DEBUG', 'details 42n null'],
    ]);
    for (const l of logs) expect(l).toMatchObject({ spanId, flags: 1, scope: 'tracelet' });
    expect(logs[0].resource['service.name']).toBe('logs-on');
    // Outside a traced request nothing is exported.
    expect(receiver.logs.some((l) => l.body === 'outside any request')).toBe(false);
  });

  it('logs off: nothing is sent to /v1/logs', async () => {
    const before = receiver.posts['/v1/logs'] ?? 0;
    await traceRequest(off, new Request('https://e.example/y'), () => {
      console.log('not exported');
      return new Response('ok');
    });
    await off.flush();
    expect(receiver.posts['/v1/logs'] ?? 0).toBe(before);
    expect(receiver.logs.some((l) => l.body === 'not exported')).toBe(false);
  });
});

describe('OTLP logs helpers', () => {
  it('formats like console, never throws', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(formatMessage(['%s=%i %% %o', 'x', '12.7', { b: 2 }, 'extra'])).toBe('x=12 % {"b":2} extra');
    expect(formatMessage([cyclic])).toBe('{"a":1,"self":"[Circular]"}');
    expect(formatMessage([])).toBe('');
    expect(formatMessage([Symbol('s'), undefined])).toBe('Symbol(s) undefined');
    const hostile = { toJSON() { throw new Error('no'); }, toString() { return 'hostile'; } };
    expect(formatMessage([hostile])).toBe('hostile');
  });

  it('puts /v1/logs next to the traces endpoint', () => {
    expect(logsEndpoint('https://c.example/v1/traces')).toBe('https://c.example/v1/logs');
    expect(logsEndpoint('https://c.example/otlp/v1/traces?k=1')).toBe('https://c.example/otlp/v1/logs?k=1');
    expect(logsEndpoint('https://c.example/ingest/spans')).toBe('https://c.example/ingest/v1/logs');
  });

  it('the strict receiver refuses what the logs encoding forbids', () => {
    const rec = (r: object) => ({ resourceLogs: [{ resource: { attributes: [] }, scopeLogs: [{ scope: { name: 't' }, logRecords: [r] }] }] });
    expect(validateLogs(rec({ timeUnixNano: '1', body: { stringValue: 'x' } })).violations).toEqual([]);
    expect(validateLogs(rec({ timeUnixNano: 1 })).violations[0]).toMatch(/decimal string/);
    expect(validateLogs(rec({ traceId: 'A'.repeat(32), spanId: 'b'.repeat(16) })).violations[0]).toMatch(/traceId/);
    expect(validateLogs(rec({ traceId: 'a'.repeat(32) })).violations[0]).toMatch(/together/);
    expect(validateLogs(rec({ severityNumber: 25 })).violations[0]).toMatch(/1\.\.24/);
    expect(validateLogs(rec({ message: 'x' })).violations[0]).toMatch(/unknown key/);
  });
});
