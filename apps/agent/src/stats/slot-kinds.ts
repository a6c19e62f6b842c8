/*
 * What each slot of a history ring holds, two bits a slot (900 bytes for an
 * hour of seconds): no point, or a point whose values are all zero (two kinds,
 * for the error ring's nullable resets), or a point in the ring's values. A
 * ring allocates its values only for its first point that is not all zeros:
 * most backends' rates are zero most of the time, and 4,096 backends' rings
 * allocated whole took 470 MB (issue 14).
 */
export enum SlotKind {
  None = 0,
  Zero = 1,
  ZeroWithNull = 2,
  Stored = 3,
}

export class SlotKinds {
  readonly #bits: Uint8Array;

  constructor(capacity: number) {
    this.#bits = new Uint8Array(Math.ceil(capacity / 4));
  }

  get(slot: number): SlotKind {
    return ((this.#bits[slot >> 2]! >> ((slot & 3) * 2)) & 3) as SlotKind;
  }

  set(slot: number, kind: SlotKind): void {
    const shift = (slot & 3) * 2;
    const at = slot >> 2;
    this.#bits[at] = (this.#bits[at]! & ~(3 << shift)) | (kind << shift);
  }
}
