/** A FIFO that never holds more than `capacity` items: `push` refuses past it. */
export class BoundedQueue<T> {
  private items: T[] = [];
  private head = 0;

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.items.length - this.head;
  }

  push(item: T): boolean {
    if (this.size >= this.capacity) return false;
    this.items.push(item);
    return true;
  }

  /** Puts items back at the front (a batch that must be retried). Returns how many did not fit. */
  unshift(batch: T[]): number {
    this.compact();
    const room = Math.max(0, this.capacity - this.size);
    const keep = batch.length > room ? batch.slice(batch.length - room) : batch;
    this.items.unshift(...keep);
    return batch.length - keep.length;
  }

  peek(i = 0): T | undefined {
    return this.items[this.head + i];
  }

  /** Removes the first `n` items without returning them (no array per call); their slots are cleared for the GC. */
  drop(n: number): void {
    const end = Math.min(this.items.length, this.head + n);
    for (let i = this.head; i < end; i++) (this.items as (T | undefined)[])[i] = undefined;
    this.head = end;
    if (this.head > 1024 && this.head * 2 > this.items.length) this.compact();
  }

  /** Removes the first `n` items. */
  take(n: number): T[] {
    const out = this.items.slice(this.head, this.head + n);
    this.head += out.length;
    if (this.head > 1024 && this.head * 2 > this.items.length) this.compact();
    return out;
  }

  private compact() {
    if (this.head) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
