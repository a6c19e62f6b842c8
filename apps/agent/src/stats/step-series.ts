/*
 * A value that holds between changes, one reading per ring slot, kept as
 * its changes only: a backend's last probe latency is read every second
 * but changes once per check, and a slot a second took 14.4 kB of every
 * checked backend from its first sample. Each change costs 8 bytes: a 5 s
 * check fills 5.8 kB in an hour, the default 2 s one 14.4 kB (as much as a
 * slot a second), a check under 2 s up to 28.8 kB. The changes older than
 * the ring's window are dropped, all but the one that still holds at its
 * oldest slot.
 */

const INITIAL_CHANGES = 4;

export class StepSeries {
  /* The changes, oldest first from #head (circular): the sequence number of the slot each starts at, and its value (NaN: null). */
  #starts = new Uint32Array(INITIAL_CHANGES);
  #values = new Float32Array(INITIAL_CHANGES);
  #head = 0;
  #count = 0;
  /** Slots pushed so far: the next one's sequence number. */
  #pushed = 0;

  constructor(readonly capacity: number) {}

  /** Changes kept: at most one per slot of the window (the oldest slot's is the one that holds there). */
  get changes(): number {
    return this.#count;
  }

  /** The reading of the next slot: a value, null, or undefined for no reading (the value held stays). */
  push(value: number | null | undefined): void {
    const seq = this.#pushed++;
    if (value === undefined) return;
    const stored = value === null ? Number.NaN : Math.fround(value);
    const held = this.#count === 0 ? Number.NaN : this.#values[this.#index(this.#count - 1)]!;
    /* Object.is: NaN is NaN (null held, null read). */
    if (Object.is(stored, held)) return;
    this.#dropOlderThan(seq + 1 - this.capacity);
    if (this.#count === this.#starts.length) this.#grow();
    const at = this.#index(this.#count++);
    this.#starts[at] = seq;
    this.#values[at] = stored;
  }

  /** The value held `age` slots before the newest (0: the newest); null before the first value. */
  at(age: number): number | null {
    const seq = this.#pushed - 1 - age;
    if (age < 0 || seq < 0) return null;
    /* The last change that starts at or before seq. */
    let low = 0;
    let high = this.#count;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (this.#starts[this.#index(mid)]! <= seq) low = mid + 1;
      else high = mid;
    }
    if (low === 0) return null;
    const value = this.#values[this.#index(low - 1)]!;
    return Number.isNaN(value) ? null : value;
  }

  #index(nth: number): number {
    return (this.#head + nth) % this.#starts.length;
  }

  /* Keeps the change that holds at `oldest` and every later one. */
  #dropOlderThan(oldest: number): void {
    while (this.#count >= 2 && this.#starts[this.#index(1)]! <= oldest) {
      this.#head = this.#index(1);
      this.#count--;
    }
  }

  /* Never past the window: no more changes are kept (see changes). */
  #grow(): void {
    const length = Math.min(this.#starts.length * 2, this.capacity);
    const starts = new Uint32Array(length);
    const values = new Float32Array(length);
    for (let nth = 0; nth < this.#count; nth++) {
      starts[nth] = this.#starts[this.#index(nth)]!;
      values[nth] = this.#values[this.#index(nth)]!;
    }
    this.#starts = starts;
    this.#values = values;
    this.#head = 0;
  }
}
