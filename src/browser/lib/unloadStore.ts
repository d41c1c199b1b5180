import type { EncodedSpan } from '../../core/pipeline';
import type { DropCounter } from '../../core/stats';

/** Stored spans older than this are discarded as `stale`. */
export const MAX_AGE_MS = 24 * 60 * 60 * 1000;
/** Upper bound of what the store keeps, in characters; the oldest spans give way first. */
export const MAX_STORE_CHARS = 1024 * 1024;

interface Stored extends EncodedSpan {
  t: number;
}

/*
 * Format: resources once each, as `@<n>\t<resource JSON>` lines, then one line per span,
 * `<ms>\t<n>\t<scope JSON>\t<span JSON>`. Encoded JSON never holds a raw tab or newline,
 * so nothing is escaped twice.
 */
function serialize(spans: Stored[]): string {
  const ids = new Map<string, number>();
  const head: string[] = [];
  const body: string[] = [];
  for (const s of spans) {
    let id = ids.get(s.resource);
    if (id === undefined) {
      ids.set(s.resource, (id = ids.size));
      head.push('@' + id + '\t' + s.resource);
    }
    body.push(s.t + '\t' + id + '\t' + s.scope + '\t' + s.span);
  }
  return head.concat(body).join('\n');
}

function parse(value: string | null): { spans: Stored[]; broken: number } {
  const resources: string[] = [];
  const spans: Stored[] = [];
  let broken = 0;
  for (const line of value ? value.split('\n') : []) {
    const f = line.split('\t');
    if (line[0] === '@') resources[Number(line.slice(1, line.indexOf('\t')))] = f[1];
    else if (f.length === 4 && resources[Number(f[1])] !== undefined) spans.push({ t: Number(f[0]), resource: resources[Number(f[1])], scope: f[2], span: f[3] });
    else broken++;
  }
  return { spans, broken };
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
      const spans = parse(localStorage.getItem(this.key)).spans;
      for (const it of items) spans.push({ ...it, t: now });
      // Oldest first out until it fits; then give up more while the browser's quota refuses.
      let from = 0;
      let text = serialize(spans);
      while (text.length > this.maxChars && from < spans.length) {
        from += Math.max(1, Math.ceil((spans.length - from) * (1 - this.maxChars / text.length)));
        text = serialize(spans.slice(from));
      }
      for (;;) {
        try {
          if (from < spans.length) localStorage.setItem(this.key, text);
          else localStorage.removeItem(this.key);
          break;
        } catch {
          if (from >= spans.length) break;
          from = Math.min(spans.length, from + Math.max(1, Math.ceil(spans.length / 8)));
          text = serialize(spans.slice(from));
        }
      }
      this.drops.add('storage_full', from);
    } catch {
      // Storage unavailable (private mode, disabled): these spans are lost, but counted.
      this.drops.add('storage_full', items.length);
    }
  }

  /** Removes and returns every stored span still fresh; stale and unreadable ones are counted. */
  take(now = Date.now()): EncodedSpan[] {
    let value: string | null;
    try {
      value = localStorage.getItem(this.key);
      if (!value) return [];
      localStorage.removeItem(this.key);
    } catch {
      return [];
    }
    const { spans, broken } = parse(value);
    const fresh = spans.filter((s) => now - s.t < MAX_AGE_MS);
    this.drops.add('stale', spans.length - fresh.length + broken);
    return fresh.map(({ resource, scope, span }) => ({ resource, scope, span }));
  }
}
