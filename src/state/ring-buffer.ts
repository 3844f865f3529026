/**
 * A bounded FIFO of the last `capacity` items: O(1) push, old items dropped. Used for the raw log
 * and diagnostics so a long apply cannot grow memory without bound.
 */
export class RingBuffer<T> {
  private items: (T | undefined)[];
  private start = 0;
  private count = 0;
  /** Total items ever pushed (so a view can tell how many were dropped). */
  pushed = 0;

  constructor(readonly capacity: number) {
    if (!(capacity > 0)) throw new RangeError('capacity must be positive');
    this.items = new Array<T | undefined>(capacity);
  }

  get length(): number {
    return this.count;
  }

  push(item: T): void {
    this.pushed++;
    if (this.count < this.capacity) {
      this.items[(this.start + this.count) % this.capacity] = item;
      this.count++;
    } else {
      this.items[this.start] = item;
      this.start = (this.start + 1) % this.capacity;
    }
  }

  /** Item `i` counted from the oldest kept (0) to the newest (length-1); undefined outside. */
  at(i: number): T | undefined {
    if (i < 0 || i >= this.count) return undefined;
    return this.items[(this.start + i) % this.capacity];
  }

  /** Items `from` (inclusive) to `to` (exclusive), oldest first. */
  slice(from: number, to: number = this.count): T[] {
    const out: T[] = [];
    const a = Math.max(0, from);
    const b = Math.min(this.count, to);
    for (let i = a; i < b; i++) out.push(this.items[(this.start + i) % this.capacity] as T);
    return out;
  }

  clear(): void {
    this.items = new Array<T | undefined>(this.capacity);
    this.start = 0;
    this.count = 0;
  }
}
