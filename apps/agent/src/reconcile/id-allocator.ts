/**
 * Hands out map indices (service or backend ids). Next-fit rather than
 * lowest-free, so a just-released id is the last to be reused: flows that
 * still name it have time to expire before it means something else.
 */
export class IdAllocator {
  private readonly used = new Set<number>();
  private next = 0;

  constructor(
    readonly capacity: number,
    private readonly what: string,
  ) {}

  get free(): number {
    return this.capacity - this.used.size;
  }

  allocate(): number {
    for (let tried = 0; tried < this.capacity; tried++) {
      const id = (this.next + tried) % this.capacity;
      if (!this.used.has(id)) {
        this.used.add(id);
        this.next = (id + 1) % this.capacity;
        return id;
      }
    }
    throw new RangeError(`no free ${this.what} id: all ${this.capacity} are in use`);
  }

  /** Marks an id found in the maps of a running data plane as taken. */
  reserve(id: number): void {
    if (id < 0 || id >= this.capacity) throw new RangeError(`${this.what} id ${id} is outside 0..${this.capacity - 1}`);
    this.used.add(id);
    this.next = Math.max(this.next, (id + 1) % this.capacity);
  }

  release(id: number): void {
    this.used.delete(id);
  }
}
