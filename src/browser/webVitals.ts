import type { Attributes, Tracer } from '@opentelemetry/api';
import { onCLS, onFCP, onINP, onLCP, onTTFB } from 'web-vitals/attribution';
import type { CLSMetricWithAttribution, FCPMetricWithAttribution, INPMetricWithAttribution, LCPMetricWithAttribution, TTFBMetricWithAttribution } from 'web-vitals/attribution';

type AnyMetric = LCPMetricWithAttribution | INPMetricWithAttribution | CLSMetricWithAttribution | FCPMetricWithAttribution | TTFBMetricWithAttribution;

const round = (n: number | undefined) => (n === undefined ? undefined : Math.round(n * 1000) / 1000);

/** The attribution that explains each metric, under stable `web_vital.<metric>.*` names. */
function attribution(m: AnyMetric): Attributes {
  const a: Record<string, string | number | undefined> = {};
  switch (m.name) {
    case 'LCP':
      a['web_vital.lcp.element'] = m.attribution.target;
      a['web_vital.lcp.url'] = m.attribution.url;
      a['web_vital.lcp.time_to_first_byte'] = round(m.attribution.timeToFirstByte);
      a['web_vital.lcp.resource_load_delay'] = round(m.attribution.resourceLoadDelay);
      a['web_vital.lcp.resource_load_duration'] = round(m.attribution.resourceLoadDuration);
      a['web_vital.lcp.element_render_delay'] = round(m.attribution.elementRenderDelay);
      break;
    case 'INP':
      a['web_vital.inp.target'] = m.attribution.interactionTarget;
      a['web_vital.inp.type'] = m.attribution.interactionType;
      a['web_vital.inp.input_delay'] = round(m.attribution.inputDelay);
      a['web_vital.inp.processing_duration'] = round(m.attribution.processingDuration);
      a['web_vital.inp.presentation_delay'] = round(m.attribution.presentationDelay);
      a['web_vital.inp.load_state'] = m.attribution.loadState;
      break;
    case 'CLS':
      a['web_vital.cls.largest_shift_target'] = m.attribution.largestShiftTarget;
      a['web_vital.cls.largest_shift_time'] = round(m.attribution.largestShiftTime);
      a['web_vital.cls.largest_shift_value'] = round(m.attribution.largestShiftValue);
      a['web_vital.cls.load_state'] = m.attribution.loadState;
      break;
    case 'FCP':
      a['web_vital.fcp.time_to_first_byte'] = round(m.attribution.timeToFirstByte);
      a['web_vital.fcp.first_byte_to_fcp'] = round(m.attribution.firstByteToFCP);
      a['web_vital.fcp.load_state'] = m.attribution.loadState;
      break;
    case 'TTFB':
      a['web_vital.ttfb.waiting_duration'] = round(m.attribution.waitingDuration);
      a['web_vital.ttfb.cache_duration'] = round(m.attribution.cacheDuration);
      a['web_vital.ttfb.dns_duration'] = round(m.attribution.dnsDuration);
      a['web_vital.ttfb.connection_duration'] = round(m.attribution.connectionDuration);
      a['web_vital.ttfb.request_duration'] = round(m.attribution.requestDuration);
      break;
  }
  for (const k in a) if (a[k] === undefined) delete a[k];
  return a as Attributes;
}

/**
 * LCP, INP, CLS, FCP and TTFB (web-vitals attribution build), each a span named after the
 * metric. Timed metrics span from navigation start (INP: from the interaction) to the
 * value; CLS, unitless, is a point in time. web-vitals reports final LCP, CLS and INP
 * values when the page is hidden, before the exit flush runs. The agent starts after the
 * load event: the values come from the browser's buffered entries.
 */
export function instrumentWebVitals(tracer: Tracer, sentByLoader: readonly string[] = []): () => void {
  let active = true;
  const report = (m: AnyMetric) => {
    // A visit hidden before the agent came: the loader already sent these values.
    if (!active || sentByLoader.includes(m.name)) return;
    const origin = performance.timeOrigin;
    let start = origin;
    let end = origin + m.value;
    if (m.name === 'INP' && m.attribution.interactionTime !== undefined) {
      start = origin + m.attribution.interactionTime;
      end = start + m.value;
    } else if (m.name === 'CLS') {
      start = end = Date.now();
    }
    const span = tracer.startSpan(m.name, {
      startTime: start,
      attributes: {
        'web_vital.name': m.name,
        'web_vital.value': m.value,
        'web_vital.rating': m.rating,
        'web_vital.id': m.id,
        'web_vital.delta': m.delta,
        'web_vital.navigation_type': m.navigationType,
        ...attribution(m),
      },
    });
    span.end(end);
  };
  onLCP(report);
  onINP(report);
  onCLS(report);
  onFCP(report);
  onTTFB(report);
  // web-vitals has no unsubscribe: the callbacks go quiet instead.
  return () => {
    active = false;
  };
}
