/** The Resource Timing fields a fetch or XHR span's network events come from (a PerformanceResourceTiming fits). */
export interface ResourceTimingLike {
  startTime: number;
  fetchStart: number;
  domainLookupStart: number;
  domainLookupEnd: number;
  connectStart: number;
  secureConnectionStart: number;
  connectEnd: number;
  requestStart: number;
  responseStart: number;
  responseEnd: number;
}

/** A network event: its Resource Timing name, and its time on the entry's clock (ms since timeOrigin). */
export interface NetworkEvent {
  name: string;
  time: number;
}

/** The phases between fetchStart and responseEnd, in order. */
const PHASES = ['domainLookupStart', 'domainLookupEnd', 'connectStart', 'secureConnectionStart', 'connectEnd', 'requestStart', 'responseStart'] as const;

/**
 * The network events worth sending for one request, in time order. OpenTelemetry's web
 * instrumentations send all nine Resource Timing marks, about 56 bytes of OTLP/JSON each,
 * most of them equal: on a reused connection DNS and connect take no time and their marks
 * all equal fetchStart. Here:
 * - a mark at 0 (not exposed: a cross-origin response without Timing-Allow-Origin) or
 *   equal to fetchStart is left out: a missing DNS/connect mark means "at fetchStart";
 * - responseEnd is left out: the span ends at it;
 * - fetchStart is left out unless redirects came before it (the entry's startTime is
 *   earlier): otherwise it is the request's start, a fraction of a millisecond after the
 *   span's own start (the page's call).
 * So a request on a reused connection has two events, requestStart and responseStart.
 * Times are on the entry's clock, which `span.addEvent(name, time)` accepts as is.
 */
export function networkEvents(entry: ResourceTimingLike): NetworkEvent[] {
  const origin = entry.fetchStart;
  const out: NetworkEvent[] = [];
  if (origin > 0 && entry.startTime < origin) out.push({ name: 'fetchStart', time: origin });
  for (const name of PHASES) {
    const time = entry[name];
    if (time > 0 && time !== origin) out.push({ name, time });
  }
  return out;
}
