import { randomHex } from '../core/ids';
import { SESSION_IDLE_MS, SESSION_KEY as KEY, SESSION_MAX_MS } from './constants';
/** Activity is written back at most this often: storage writes are synchronous. */
const WRITE_EVERY_MS = 5000;

export interface SessionState {
  id: string;
  /** Whether this visit is recorded: decided once, at its start, from sampleRate. */
  sampled: boolean;
  start: number;
  last: number;
}

function load(storage: Storage | undefined): SessionState | undefined {
  try {
    const s = JSON.parse(storage?.getItem(KEY) ?? 'null');
    if (s && typeof s.id === 'string' && /^[0-9a-f]{32}$/.test(s.id) && typeof s.sampled === 'boolean' && s.start > 0 && s.last > 0) return s;
  } catch {
    // unreadable: a new session starts
  }
  return undefined;
}

/**
 * The visit: a random `session.id` kept in sessionStorage (in memory where storage
 * throws, as in some private modes), renewed after 30 minutes idle or 4 hours.
 */
export class Session {
  private state: SessionState | undefined;
  private written = 0;
  private store: Storage | undefined;
  private loaded = false;

  /** Storage is read when first needed: a page's first sessionStorage access costs milliseconds. */
  constructor(
    private readonly sampleRate: number,
    private readonly storage: () => Storage | undefined = safeSessionStorage,
    private readonly now: () => number = Date.now,
  ) {}

  /** The current session, renewed when expired; counts as activity. */
  current(): SessionState {
    if (!this.loaded) {
      this.loaded = true;
      this.store = this.storage();
      this.state = load(this.store);
    }
    const t = this.now();
    let s = this.state;
    if (!s || t - s.last > SESSION_IDLE_MS || t - s.start > SESSION_MAX_MS) {
      s = this.state = { id: randomHex(16), sampled: Math.random() < this.sampleRate, start: t, last: t };
      this.written = 0;
    }
    s.last = t;
    if (t - this.written >= WRITE_EVERY_MS) {
      this.written = t;
      try {
        this.store?.setItem(KEY, JSON.stringify(s));
      } catch {
        // memory only
      }
    }
    return s;
  }
}

function safeSessionStorage(): Storage | undefined {
  try {
    return window.sessionStorage;
  } catch {
    return undefined;
  }
}
