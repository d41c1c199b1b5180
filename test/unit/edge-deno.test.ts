import { afterEach, describe, expect, it, vi } from 'vitest';
import { startOtlpReceiver } from '../support/otlpReceiver';
import { serverTimingTraceparent } from '../support/edge';

/*
 * The Deno adapter's decisions, in node (the real runtime is in test/e2e/edge-deno.test.ts):
 * it stands aside for Deno's built-in OpenTelemetry and for a bad configuration.
 */

const API_KEY = Symbol.for('opentelemetry.js.api.1');
const g = globalThis as Record<string | symbol, unknown>;
const originalFetch = globalThis.fetch;

/** Loads src/edge/deno.ts afresh with `Deno` (and maybe the OTel API global) as given. */
async function loadWith(deno: object | undefined, apiGlobal?: object) {
  vi.resetModules();
  g.Deno = deno;
  g[API_KEY] = apiGlobal;
  return import('../../src/edge/deno/index');
}

afterEach(() => {
  delete g.Deno;
  delete g[API_KEY];
  globalThis.fetch = originalFetch;
  vi.restoreAllMocks();
});

describe('tracelet/deno', () => {
  it("with Deno's built-in OpenTelemetry registered, logs one info line and returns the handler itself", async () => {
    const provider = {};
    const listeners = vi.fn();
    const deno = await loadWith({ telemetry: { tracerProvider: provider }, addSignalListener: listeners }, { trace: provider, version: '1.9.1' });
    const info = vi.spyOn(console, 'info').mockImplementation(() => {});
    const handler = () => new Response('');
    expect(deno.builtinTelemetryOn()).toBe(true);
    expect(deno.instrument(handler, { serviceName: 's', endpoint: 'http://127.0.0.1:1/v1/traces' })).toBe(handler);
    expect(deno.instrument(handler, { serviceName: 's', endpoint: 'http://127.0.0.1:1/v1/traces' })).toBe(handler);
    expect(info).toHaveBeenCalledTimes(1);
    expect(info.mock.calls[0][0]).toMatch(/built-in OpenTelemetry is on \(OTEL_DENO=true\)/);
    expect(listeners).not.toHaveBeenCalled();
  });

  it('another SDK registered with the OTel API is not mistaken for the built-in', async () => {
    const deno = await loadWith({ telemetry: { tracerProvider: {} } }, { trace: {} });
    expect(deno.builtinTelemetryOn()).toBe(false);
  });

  it('a bad option: one console.error naming it, and the handler is returned untraced', async () => {
    const deno = await loadWith(undefined);
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    const handler = () => new Response('');
    expect(deno.instrument(handler, { serviceName: 's', endpoint: 'http://127.0.0.1:1/v1/traces', handleSignals: 'yes' as unknown as boolean })).toBe(handler);
    expect(deno.instrument(handler, { serviceName: 's', endpoint: 'ftp://x' })).toBe(handler);
    expect(error.mock.calls.map((c) => c[0])).toEqual([expect.stringMatching(/option "handleSignals"/), expect.stringMatching(/option "endpoint"/)]);
  });

  it('wraps the handler: info is passed on, the client address is recorded when asked, flush() exports', async () => {
    const receiver = await startOtlpReceiver();
    try {
      const signals: string[] = [];
      const deno = await loadWith({ version: { deno: '9.9.9' }, addSignalListener: (s: string) => signals.push(s), removeSignalListener: () => {} });
      const seen: unknown[] = [];
      const traced = deno.instrument(
        (req: Request, info: unknown) => {
          seen.push(info);
          return new Response(req.url);
        },
        { serviceName: 'deno-unit', endpoint: receiver.url, captureClientAddress: true, scheduledDelayMillis: 3_600_000 },
      );
      const info = { remoteAddr: { hostname: '192.0.2.1', port: 5555, transport: 'tcp' }, completed: Promise.resolve() };
      const res = await traced(new Request('http://127.0.0.1:8000/hello'), info);
      expect(seen).toEqual([info]);
      expect(serverTimingTraceparent(res.headers.get('server-timing'))).toBeDefined();
      expect(signals).toEqual(['SIGINT', 'SIGTERM']);
      await deno.flush();
      expect(receiver.spans[0].attributes).toMatchObject({ 'url.path': '/hello', 'client.address': '192.0.2.1' });
      expect(receiver.spans[0].resource).toMatchObject({ 'process.runtime.name': 'deno', 'process.runtime.version': '9.9.9' });
    } finally {
      await receiver.close();
    }
  });
});
