import { ROOT_CONTEXT, trace, type Context, type ContextManager, type SpanContext } from '@opentelemetry/api';
import { extractInto } from '../../core/propagation';

/**
 * Wraps the context manager so that a span started with no active span joins the trace
 * of the server span that served the page (Server-Timing or `<meta name="traceparent">`):
 * the page load, its fetch/XHR calls and its errors form one trace with the backend.
 * After the first SPA route change (`leavePage()`), such spans start their own traces.
 */
export class PageContextManager implements ContextManager {
  private page: Context | undefined;

  constructor(
    private readonly inner: ContextManager,
    private readonly traceparent: string | undefined,
  ) {
    if (traceparent) {
      const ctx = extractInto(ROOT_CONTEXT, traceparent, undefined);
      if (ctx !== ROOT_CONTEXT) this.page = ctx;
    }
  }

  leavePage(): void {
    this.page = undefined;
  }

  /** The active span's context, without the page's: the loader falls back to that itself. */
  activeSpanContext(): SpanContext | undefined {
    return trace.getSpanContext(this.inner.active());
  }

  active(): Context {
    const c = this.inner.active();
    if (!this.page || trace.getSpanContext(c)) return c;
    return c === ROOT_CONTEXT ? this.page : extractInto(c, this.traceparent, undefined);
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(context: Context, fn: F, thisArg?: ThisParameterType<F>, ...args: A): ReturnType<F> {
    return this.inner.with(context, fn, thisArg, ...args);
  }

  bind<T>(context: Context, target: T): T {
    return this.inner.bind(context, target);
  }

  enable(): this {
    this.inner.enable();
    return this;
  }

  disable(): this {
    this.inner.disable();
    return this;
  }
}
