import type { Attributes } from '@opentelemetry/api';
import type { CoreConfig } from './config';
import { VERSION } from './version';

/** The resource every span of this agent shares; the user's attributes win over ours. */
export function resourceAttributes(config: CoreConfig, runtime: Attributes): Attributes {
  const attrs: Attributes = {
    'service.name': config.serviceName,
    'telemetry.sdk.name': 'tracelet',
    'telemetry.sdk.language': 'webjs',
    'telemetry.sdk.version': VERSION,
    ...runtime,
  };
  if (config.serviceVersion) attrs['service.version'] = config.serviceVersion;
  if (config.environment) attrs['deployment.environment.name'] = config.environment;
  return { ...attrs, ...config.attributes };
}
