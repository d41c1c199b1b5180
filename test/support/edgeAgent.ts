import { createAgent, type EdgeAgent } from '../../src/edge/agent';
import { parseEdgeOptions, type EdgeOptions } from '../../src/edge/config';
import { startOtlpReceiver, type OtlpReceiver } from './otlpReceiver';

/**
 * An edge agent (the runtime-neutral pieces, in node) exporting to a fresh strict
 * receiver, for unit tests.
 */
export async function startTestAgent(options: Partial<EdgeOptions> = {}): Promise<{ agent: EdgeAgent; receiver: OtlpReceiver; close(): Promise<void> }> {
  const receiver = await startOtlpReceiver();
  const agent = createAgent(parseEdgeOptions({ serviceName: 'unit', endpoint: receiver.url, ...options }), { 'test.runtime': 'node' });
  return { agent, receiver, close: () => receiver.close() };
}

export const SPAN_KIND = { INTERNAL: 1, SERVER: 2, CLIENT: 3, PRODUCER: 4, CONSUMER: 5 } as const;
