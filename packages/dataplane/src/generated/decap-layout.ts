// generated — do not edit; regenerate with `pnpm gen:layout`
// Structs from the compiled program's BTF, checked against bpf/include/sluice_decap.h; enums from that header.
import type { StructLayout } from '../layout-types.js';

/** struct decap_address_key (20 bytes) */
export interface DecapAddressKey {
  addr: Buffer;
  family: number;
  pad?: Uint8Array;
}

export const decapAddressKeyLayout: StructLayout<DecapAddressKey> = {
  name: 'decap_address_key',
  size: 20,
  members: [
    { name: 'addr', offset: 0, kind: 'be32', length: 4 },
    { name: 'family', offset: 16, kind: 'u8' },
    { name: 'pad', offset: 17, kind: 'u8', length: 3 },
  ],
};

/** struct decap_settings (4 bytes) */
export interface DecapSettings {
  gue_port: number;
  pad?: number;
}

export const decapSettingsLayout: StructLayout<DecapSettings> = {
  name: 'decap_settings',
  size: 4,
  members: [
    { name: 'gue_port', offset: 0, kind: 'be16' },
    { name: 'pad', offset: 2, kind: 'u16' },
  ],
};

/** Every shared struct by its C name. */
export const decapStructLayouts = {
  decap_address_key: decapAddressKeyLayout,
  decap_settings: decapSettingsLayout,
} as const;

/** enum sluice_decap_counter */
export const SluiceDecapCounter = {
  DECAP_CNT_IPIP: 0,
  DECAP_CNT_IP6IP6: 1,
  DECAP_CNT_GUE_IPV4: 2,
  DECAP_CNT_GUE_IPV6: 3,
  DECAP_CNT_PASS_NOT_IP: 4,
  DECAP_CNT_PASS_FRAGMENT: 5,
  DECAP_CNT_PASS_IP_OPTIONS: 6,
  DECAP_CNT_PASS_NOT_TUNNEL: 7,
  DECAP_CNT_PASS_NOT_FOR_ME: 8,
  DECAP_CNT_DROP_TRUNCATED_INNER: 9,
  DECAP_CNT_DROP_BAD_INNER: 10,
  DECAP_CNT_DROP_STRIP_FAILED: 11,
  DECAP_CNT_MAX: 12,
} as const;
export type SluiceDecapCounter = (typeof SluiceDecapCounter)[keyof typeof SluiceDecapCounter];

/* The header's #define constants, as the compiler evaluates them for this build. */
export const DECAP_MAX_ADDRESSES = 64;
