import type { IdGenerator } from '@opentelemetry/sdk-trace-base';
import { randomHex } from '../core/ids';

/**
 * Ids from the platform's CSPRNG: the trace ids we start carry the W3C Level 2 `random`
 * flag, which promises unpredictable low bytes (the SDK's default uses Math.random).
 */
export const cryptoIdGenerator: IdGenerator = {
  generateTraceId: () => randomHex(16),
  generateSpanId: () => randomHex(8),
};
