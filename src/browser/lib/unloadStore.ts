import type { EncodedSpan } from '../../core/pipeline';
import type { DropCounter } from '../../core/stats';

/** Stored spans older than this are discarded as `stale`. */
export const MAX_AGE_MS = 24 * 60 * 60 * 1000;
/** Upper bound of what the store keeps, in characters; the oldest spans give way first. */
export const MAX_STORE_CHARS = 1024 * 1024;

/*
 * One line per span: `<ms>\t<scope JSON>\t<span JSON>`. Encoded JSON never holds a raw
 * tab or newline, so no second escaping is needed and the oldest lines drop off cleanly.
 */

function read(key: string): string[] {
  const v = localStorage.getItem(key);
  return v ? v.split('\n') : [];
}

/**
 * The spans that could not leave at page exit, kept in localStorage (synchronous, so it
 * works inside `pagehide`) until the next page view of the same origin sends them.
 */
export class UnloadStore {
  constructor(
    readonly key: string,
    private readonly drops: DropCounter,
    private readonly maxChars = MAX_STORE_CHARS,
  ) {}

  save(items: EncodedSpan[], now = Date.now()): void {
    if (!items.length) return;
    try {
      const lines = read(this.key);
      for (const it of items) lines.push(now + '\t' + it.scope + '\t' + it.span);
      let size = lines.reduce((n, l) => n + l.length + 1, 0);
      let drop = 0;
      while (size > this.maxChars && drop < lines.length) size -= lines[drop++].length + 1;
      this.drops.add('storage_full', drop);
      this.write(lines.slice(drop));
    } catch {
      // Storage unavailable (private mode, disabled): these spans are lost, but counted.
      this.drops.add('storage_full', items.length);
    }
  }

  /** Writes `lines`, giving up the oldest eighth at a time while the browser's quota refuses. */
  private write(lines: string[]): void {
    const step = Math.max(1, Math.ceil(lines.length / 8));
    let from = 0;
    for (;;) {
      try {
        if (from < lines.length) localStorage.setItem(this.key, lines.slice(from).join('\n'));
        else localStorage.removeItem(this.key);
        break;
      } catch {
        if (from >= lines.length) break;
        from = Math.min(lines.length, from + step);
      }
    }
    this.drops.add('storage_full', from);
  }

  /** Removes and returns every stored span still fresh; stale ones are counted. */
  take(now = Date.now()): EncodedSpan[] {
    let lines: string[];
    try {
      lines = read(this.key);
      if (!lines.length) return [];
      localStorage.removeItem(this.key);
    } catch {
      return [];
    }
    const out: EncodedSpan[] = [];
    let stale = 0;
    for (const line of lines) {
      const [t, scope, span] = line.split('\t');
      if (!span || !(now - Number(t) < MAX_AGE_MS)) stale++;
      else out.push({ scope, span });
    }
    this.drops.add('stale', stale);
    return out;
  }
}
