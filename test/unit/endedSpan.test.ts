import { SpanKind } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { endedSpan } from '../../src/browser/agent/endedSpan';

const data = (start: number, end: number) => ({
  scope: { name: 'tracelet/fetch' },
  ids: { t: '0af7651916cd43dd8448eb211c80319c', p: 'b7ad6b7169203331', f: 1 },
  spanId: '00f067aa0ba902b7',
  name: 'GET',
  kind: SpanKind.CLIENT,
  start,
  end,
  attributes: { 'http.request.method': 'GET' },
  events: [{ name: 'responseStart', time: start + 1.5 }],
});

describe('endedSpan', () => {
  it('writes the ids, parent, times and events as the SDK would', () => {
    const s = endedSpan(data(1_796_657_196_153.5, 1_796_657_196_161));
    expect(s.spanContext()).toEqual({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: '00f067aa0ba902b7', traceFlags: 1 });
    expect(s.parentSpanContext).toMatchObject({ spanId: 'b7ad6b7169203331', isRemote: true });
    expect(s.startTime).toEqual([1_796_657_196, 153_500_000]);
    expect(s.endTime).toEqual([1_796_657_196, 161_000_000]);
    expect(s.duration).toEqual([0, 7_500_000]);
    expect(s.events).toEqual([{ name: 'responseStart', time: [1_796_657_196, 155_000_000] }]);
    expect(s.ended).toBe(true);
  });

  it('ends a span whose end came before its start at its start (coarsened entry times)', () => {
    const s = endedSpan(data(1_000_000.4, 1_000_000.1));
    expect(s.endTime).toEqual(s.startTime);
    expect(s.duration).toEqual([0, 0]);
  });

  it('has no parent for a root', () => {
    expect(endedSpan({ ...data(1, 2), ids: { t: '0af7651916cd43dd8448eb211c80319c', f: 1 } }).parentSpanContext).toBeUndefined();
  });
});
