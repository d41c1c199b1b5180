import type { BrowserOptions } from './options';
import { splitList } from '../core/urlMatch';

/**
 * Options from the `<script data-*>` tag that loaded the agent, or undefined when the tag
 * asks for no auto-start (neither data-endpoint nor data-service-name).
 */
export function optionsFromScriptTag(script: HTMLOrSVGScriptElement | null): BrowserOptions | undefined {
  const d = (script as HTMLElement | null)?.dataset;
  if (!d || (d.endpoint === undefined && d.serviceName === undefined)) return undefined;
  const o: Record<string, unknown> = {
    endpoint: d.endpoint,
    serviceName: d.serviceName,
    serviceVersion: d.serviceVersion,
    environment: d.environment,
    propagateTo: splitList(d.propagateTo),
  };
  if (d.sampleRate !== undefined) {
    // Keep the raw text when it is not a number, so the error quotes what was written.
    const n = Number(d.sampleRate);
    o.sampleRate = d.sampleRate.trim() !== '' && Number.isFinite(n) ? n : d.sampleRate;
  }
  return o as unknown as BrowserOptions;
}
