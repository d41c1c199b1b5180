import { AGENT_IDLE_TIMEOUT_MS } from '../constants';

type Idle = (cb: () => void, o: { timeout: number }) => unknown;

/**
 * Runs `cb` after the load event, when the main thread is idle (or after the timeout on a
 * busy page). Safari has no requestIdleCallback: there it is the next task.
 */
export function afterLoadIdle(cb: () => void): void {
  const idle = () => ((globalThis as { requestIdleCallback?: Idle }).requestIdleCallback ?? (setTimeout as unknown as Idle))(cb, { timeout: AGENT_IDLE_TIMEOUT_MS });
  // After the load event has finished, not inside it: a task of its own.
  const go = () => setTimeout(idle);
  if (document.readyState === 'complete') go();
  else addEventListener('load', go, { once: true });
}

/**
 * Adds the agent's script. Under a CSP that requires Trusted Types it goes through a
 * `tracelet` policy; the loader's nonce is passed on. A refused or missing script leaves the
 * page as it is: the loader delivers at exit.
 */
export function addScript(src: string, nonce: string | undefined): void {
  try {
    const s = document.createElement('script');
    let url: unknown = src;
    const tt = (globalThis as { trustedTypes?: { createPolicy(n: string, p: object): { createScriptURL(u: string): unknown } } }).trustedTypes;
    try {
      if (tt) url = tt.createPolicy('tracelet', { createScriptURL: (u: string) => u }).createScriptURL(src);
    } catch {
      // the page's CSP allows no such policy: the plain URL may still be accepted
    }
    s.src = url as string;
    s.async = true;
    if (nonce) s.nonce = nonce;
    document.head.appendChild(s);
  } catch {
    // refused (Trusted Types): the agent never comes
  }
}
