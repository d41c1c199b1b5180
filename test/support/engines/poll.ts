import type { EngineName, PageFunction } from './types';

type Evaluate = <R, A>(fn: PageFunction<A, R>, arg?: A) => Promise<R>;

/** The `waitFor` of every driver: bounded polling by evaluate, retried across navigations. */
export async function pollPage<R, A>(
  engine: EngineName,
  evaluate: Evaluate,
  fn: PageFunction<A, R>,
  arg: A | undefined,
  opts: { timeout?: number; what?: string } = {},
): Promise<R> {
  const timeout = opts.timeout ?? 15_000;
  const until = Date.now() + timeout;
  let last: unknown;
  for (;;) {
    try {
      const v = await evaluate(fn, arg);
      if (v) return v;
      last = v;
    } catch (e) {
      // The page is navigating (its context went away): poll the next one.
      last = e;
    }
    if (Date.now() > until) {
      throw new Error(`${engine}: waited ${timeout} ms for ${opts.what ?? String(fn).slice(0, 120)}; last: ${String((last as Error)?.message ?? JSON.stringify(last))}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
