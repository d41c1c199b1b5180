import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ExportPipeline } from './pipeline';

/** Hands every sampled span that ends to the export pipeline; `onStart` hooks add attributes. */
export class PipelineSpanProcessor implements SpanProcessor {
  constructor(
    private readonly pipeline: ExportPipeline,
    private readonly onStartHooks: ((span: Span, parent: Context) => void)[] = [],
  ) {}

  onStart(span: Span, parent: Context): void {
    for (const hook of this.onStartHooks) {
      try {
        hook(span, parent);
      } catch {
        // A hook must never break span creation in the host app.
      }
    }
  }

  onEnd(span: ReadableSpan): void {
    // Bit 0 of the flags: sampled. Unsampled spans cost nothing past this line.
    if (span.spanContext().traceFlags & 1) this.pipeline.enqueue(span);
  }

  forceFlush(): Promise<void> {
    return this.pipeline.flush();
  }

  shutdown(): Promise<void> {
    return this.pipeline.shutdown();
  }
}
