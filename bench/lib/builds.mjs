// Which browser builds dist/ holds. Issue #12 splits the script tag in two: dist/tracelet.min.js
// becomes a ~1 KB loader that loads dist/tracelet.agent.min.js when the page is idle, and
// dist/tracelet.bundle.min.js is the eager single file. Until the agent file exists,
// dist/tracelet.min.js IS the eager bundle and there is no loader: the bench says
// "loader: not built" and measures the bundle, instead of failing.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './support.mjs';

export const LOADER = 'dist/tracelet.min.js';
export const AGENT = 'dist/tracelet.agent.min.js';
export const BUNDLE = 'dist/tracelet.bundle.min.js';
/** Issue #12's hard cap for the loader, gzip -9 (aim: 1 KB). Also enforced by test/unit/size-budget.test.ts. */
export const LOADER_MAX_GZIP = 1536;
export const LOADER_AIM_GZIP = 1024;
export const NOT_BUILT = 'loader: not built (no dist/tracelet.agent.min.js; dist/tracelet.min.js is measured as the eager bundle)';

/**
 * { twoStage, loader, agent, bundle, note }: repo-relative paths, undefined when not built.
 * Read at call time, so a run after `npm run build` sees the current layout.
 */
export function traceletBuilds() {
  const has = (f) => existsSync(join(ROOT, f));
  const twoStage = has(AGENT);
  return {
    twoStage,
    loader: twoStage && has(LOADER) ? LOADER : undefined,
    agent: twoStage ? AGENT : undefined,
    bundle: twoStage ? (has(BUNDLE) ? BUNDLE : undefined) : has(LOADER) ? LOADER : undefined,
    note: twoStage ? (has(BUNDLE) ? '' : `bundle: not built (no ${BUNDLE})`) : NOT_BUILT,
  };
}
