/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Incremental Internet checksum updates (RFC 1624, eqn. 3):
 * HC' = ~(~HC + ~m + m'), summed over the 16-bit words that change.
 * One's-complement sums do not depend on byte order, so words are used
 * exactly as they lie in the packet.
 */
#ifndef SLUICE_CSUM_H
#define SLUICE_CSUM_H

#include <linux/types.h>

static __always_inline __u16 csum_fold32(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)sum;
}

/* Adds the change of one 16-bit word to a running sum. */
static __always_inline __u32 csum_add_change16(__u32 sum, __u16 old_word, __u16 new_word)
{
	return sum + (__u16)~old_word + new_word;
}

/* Adds the change of a 32-bit field (two words). */
static __always_inline __u32 csum_add_change32(__u32 sum, __u32 old_value, __u32 new_value)
{
	sum = csum_add_change16(sum, old_value & 0xffff, new_value & 0xffff);
	return csum_add_change16(sum, old_value >> 16, new_value >> 16);
}

/* Adds the change of an address: one word pair for IPv4, four for IPv6. */
static __always_inline __u32 csum_add_address_change(__u32 sum, const __be32 *old_addr,
						     const __be32 *new_addr, int words)
{
#pragma unroll
	for (int i = 0; i < 4; i++) {
		if (i < words)
			sum = csum_add_change32(sum, old_addr[i], new_addr[i]);
	}
	return sum;
}

/* Starts an update from a checksum as stored in the packet. */
static __always_inline __u32 csum_begin(__sum16 stored)
{
	return (__u16)~stored;
}

static __always_inline __sum16 csum_finish(__u32 sum)
{
	return (__sum16)~csum_fold32(sum);
}

/* The checksum of an IPv4 header without options, computed whole (its check field must be 0). */
static __always_inline __sum16 ipv4_header_checksum(const void *header)
{
	const __u16 *word = header;
	__u32 sum = 0;

#pragma unroll
	for (int i = 0; i < 10; i++)
		sum += word[i];
	return csum_finish(sum);
}

#endif /* SLUICE_CSUM_H */
