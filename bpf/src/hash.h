/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Bob Jenkins' lookup3 hash over 32-bit words (the kernel's jhash2).
 * Words are read in host byte order from network-order bytes; the tests
 * carry an independent TypeScript copy that must agree bit for bit.
 */
#ifndef SLUICE_HASH_H
#define SLUICE_HASH_H

#include <linux/types.h>
#include "sluice_shared.h"
#include "tunables.h"

#define JHASH_INITVAL 0xdeadbeef

static __always_inline __u32 rol32(__u32 word, unsigned int shift)
{
	return (word << shift) | (word >> ((-shift) & 31));
}

/* The rounds laid out as in the kernel's jhash.h, three steps a line. */
/* clang-format off */
#define jhash_mix(a, b, c)                                                     \
	{                                                                      \
		a -= c; a ^= rol32(c, 4);  c += b;                             \
		b -= a; b ^= rol32(a, 6);  a += c;                             \
		c -= b; c ^= rol32(b, 8);  b += a;                             \
		a -= c; a ^= rol32(c, 16); c += b;                             \
		b -= a; b ^= rol32(a, 19); a += c;                             \
		c -= b; c ^= rol32(b, 4);  b += a;                             \
	}

#define jhash_final(a, b, c)                                                   \
	{                                                                      \
		c ^= b; c -= rol32(b, 14);                                     \
		a ^= c; a -= rol32(c, 11);                                     \
		b ^= a; b -= rol32(a, 25);                                     \
		c ^= b; c -= rol32(b, 16);                                     \
		a ^= c; a -= rol32(c, 4);                                      \
		b ^= a; b -= rol32(a, 14);                                     \
		c ^= b; c -= rol32(b, 24);                                     \
	}
/* clang-format on */

/* jhash2 for a length known at compile time, so the loop unrolls. */
static __always_inline __u32 jhash_words(const __u32 *k, const __u32 length, __u32 initval)
{
	__u32 a, b, c, left = length;

	a = b = c = JHASH_INITVAL + (length << 2) + initval;
#pragma unroll
	for (int i = 0; i < 16 && left > 3; i++) {
		a += k[0];
		b += k[1];
		c += k[2];
		jhash_mix(a, b, c);
		left -= 3;
		k += 3;
	}
	/* The tail as in the kernel's jhash2. */
	/* clang-format off */
	switch (left) {
	case 3: c += k[2]; /* fall through */
	case 2: b += k[1]; /* fall through */
	case 1: a += k[0];
		jhash_final(a, b, c);
		break;
	}
	/* clang-format on */
	return c;
}

_Static_assert(sizeof(struct flow_key) == 40, "flow hash covers the 10 words of flow_key");

/* Hash of the whole 5-tuple (maglev, least-connections candidates), seeded by the load-time flow_hash_seed. */
static __always_inline __u32 hash_flow(const struct flow_key *key)
{
	return jhash_words((const __u32 *)key, 10, (__u32)flow_hash_seed);
}

/* Hash of the client address only (source-hash). */
static __always_inline __u32 hash_source(const struct flow_key *key)
{
	return jhash_words((const __u32 *)key->src, 4, (__u32)flow_hash_seed);
}

/*
 * An endpoint's bit in endpoint_filter: Fibonacci hashing of its address
 * words, port and protocol. The agent computes the same (reconcile/
 * endpoint-filter.ts); a disagreement shows as replies left un-NATed.
 */
static __always_inline __u32 endpoint_filter_bit(const __be32 *addr, __be16 port, __u8 protocol)
{
	__u32 x = addr[0] ^ addr[1] ^ addr[2] ^ addr[3] ^ ((__u32)port << 16) ^ protocol;

	return (x * ENDPOINT_FILTER_MULTIPLIER) >> (32 - ENDPOINT_FILTER_BITS_LOG2);
}

/*
 * A VIP address's bit in vip_filter: Fibonacci hashing of its address words
 * (IPv4 in the first, the rest zero). The agent computes the same (reconcile/
 * vip-filter.ts); a disagreement shows as VIP traffic passed to the kernel.
 */
static __always_inline __u32 vip_filter_bit(const __be32 *addr)
{
	__u32 x = addr[0] ^ addr[1] ^ addr[2] ^ addr[3];

	return (x * VIP_FILTER_MULTIPLIER) >> (32 - VIP_FILTER_BITS_LOG2);
}

#endif /* SLUICE_HASH_H */
