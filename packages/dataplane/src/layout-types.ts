/*
 * The shape of generated/layout.ts: where each member of a shared C struct
 * lives and how its bytes are read. The codec (codec.ts) is driven by it.
 */

/**
 * uN and sN: host byte order (what the BPF program reads with a plain load).
 * beN: network byte order (`__be16`/`__be32`/`__be64` in the header).
 */
export type ScalarKind = 'u8' | 'u16' | 'u32' | 'u64' | 's8' | 's16' | 's32' | 's64' | 'be16' | 'be32' | 'be64';

export interface MemberLayout {
  readonly name: string;
  /** Byte offset in the struct. */
  readonly offset: number;
  readonly kind: ScalarKind;
  /** Present for arrays: number of elements. */
  readonly length?: number;
}

/**
 * `T` is the JS value the struct decodes to; it only ties a layout to its
 * generated interface so encode/decode are typed.
 */
export interface StructLayout<T = unknown> {
  readonly name: string;
  readonly size: number;
  readonly members: readonly MemberLayout[];
  /** Phantom: never set. */
  readonly __value?: T;
}

export const SCALAR_WIDTH: Readonly<Record<ScalarKind, number>> = {
  u8: 1,
  s8: 1,
  u16: 2,
  s16: 2,
  be16: 2,
  u32: 4,
  s32: 4,
  be32: 4,
  u64: 8,
  s64: 8,
  be64: 8,
};
