import { join } from 'node:path';
import { startService } from '../lib/children.mjs';
import { assertPortFree } from '../lib/http.mjs';

/**
 * Starts the origin (server.mjs) in its own node process, with the OpenTelemetry SDK set up
 * by `--import ./instrumentation.mjs` before the app loads, and the standard OTLP endpoint
 * variable pointing at the demo's receiver.
 */
export async function startOrigin({ root, port, endpoint, view }) {
  if (port !== 0) await assertPortFree(port, 'origin');
  const config = JSON.stringify({ port, receiver: endpoint, view, exitWithStdin: true });
  return startService({
    label: 'origin',
    command: process.execPath,
    args: ['--import', join(import.meta.dirname, 'instrumentation.mjs'), join(import.meta.dirname, 'server.mjs'), config],
    cwd: root,
    env: { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: endpoint },
    ready: 'ORIGIN_LISTENING',
  });
}
