import { SESSION_IDLE_MS, SESSION_KEY, SESSION_MAX_MS } from '../constants';
import { hex } from './ids';

/**
 * The visit's id and sampling decision, from sessionStorage (the agent's Session reads the
 * same entry), or a new one. The decision must exist before the first request leaves,
 * since the `traceparent` flags carry it.
 */
export function loadSession(sampleRate: number): { id: string; sampled: boolean } {
  const t = Date.now();
  let s: { id: string; sampled: boolean; start: number; last: number } | undefined;
  try {
    s = JSON.parse(sessionStorage.getItem(SESSION_KEY)!);
  } catch {
    // unreadable or unavailable: a new session
  }
  if (!s || !/^[0-9a-f]{32}$/.test(s.id) || t - s.last > SESSION_IDLE_MS || t - s.start > SESSION_MAX_MS) {
    s = { id: hex(16), sampled: Math.random() < sampleRate, start: t, last: t };
    try {
      sessionStorage.setItem(SESSION_KEY, JSON.stringify(s));
    } catch {
      // memory only
    }
  }
  return s;
}
