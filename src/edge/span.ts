import { SpanStatusCode, trace, type Context, type Exception, type Span } from '@opentelemetry/api';
import { edgeContext } from './context';

/** Status ERROR, an `exception` event and `error.type`, as the semantic conventions ask. */
export function recordError(span: Span, err: unknown): void {
  const isObject = typeof err === 'object' && err !== null;
  span.recordException(isObject ? (err as Exception) : String(err));
  const message = err instanceof Error ? err.message : isObject ? undefined : String(err);
  span.setStatus({ code: SpanStatusCode.ERROR, ...(message && { message }) });
  const type = err instanceof Error ? err.name || err.constructor?.name : undefined;
  span.setAttribute('error.type', type || '_OTHER');
}

/**
 * Runs `fn` with `span` active (a child of `parent`) and ends the span when `fn` settles.
 * An exception is recorded and rethrown untouched; `onResult` reads the result first.
 */
export function runInSpan<T>(span: Span, parent: Context, fn: () => T | Promise<T>, onResult?: (result: T) => T | void): Promise<T> {
  let work: T | Promise<T>;
  try {
    work = edgeContext.with(trace.setSpan(parent, span), fn);
  } catch (err) {
    work = Promise.reject(err);
  }
  return endSpanWith(span, work, onResult);
}

/**
 * Ends `span` when `work` (already started in the span's context) settles; see runInSpan.
 * What `onResult` returns, unless undefined, replaces the result.
 */
export async function endSpanWith<T>(span: Span, work: T | Promise<T>, onResult?: (result: T) => T | void): Promise<T> {
  let result: T;
  try {
    result = await work;
  } catch (err) {
    try {
      recordError(span, err);
    } finally {
      span.end();
    }
    throw err;
  }
  try {
    const replaced = onResult?.(result);
    if (replaced !== undefined) result = replaced;
  } catch {
    // Reading a strange result must never fail the user's call.
  }
  span.end();
  return result;
}
