/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* NAT rewrites: client -> VIP becomes client -> backend, and replies back. */
#ifndef SLUICE_NAT_H
#define SLUICE_NAT_H

#include "csum.h"
#include "packet.h"

/* The UDP checksum field uses 0 for "none", so a computed 0 is sent as 0xffff. */
#define UDP_CHECKSUM_OF_ZERO 0xffff

enum endpoint_side {
	ENDPOINT_SOURCE = 0,
	ENDPOINT_DESTINATION = 1,
};

static __always_inline void rewrite_l4_checksum(struct packet *pkt, const __be32 *old_addr,
						const __be32 *new_addr, int words, __be16 old_port,
						__be16 new_port)
{
	__u32 sum;
	__sum16 check;

	if (pkt->udp_check_absent)
		return;
	sum = csum_begin(*pkt->l4_check);
	sum = csum_add_address_change(sum, old_addr, new_addr, words);
	sum = csum_add_change16(sum, old_port, new_port);
	check = csum_finish(sum);
	if (check == 0 && pkt->key.protocol == IPPROTO_UDP)
		check = UDP_CHECKSUM_OF_ZERO;
	*pkt->l4_check = check;
}

/* Replaces one endpoint (address and port) and fixes every checksum it covers. */
static __always_inline void rewrite_endpoint(struct packet *pkt, enum endpoint_side side,
					     const __be32 *new_addr, __be16 new_port)
{
	__be16 *port = &pkt->l4_ports[side];
	__be16 old_port = *port;

	if (pkt->ip4) {
		__be32 *addr = side == ENDPOINT_SOURCE ? &pkt->ip4->saddr : &pkt->ip4->daddr;
		__be32 old_addr = *addr;

		*addr = new_addr[0];
		pkt->ip4->check = csum_finish(
			csum_add_change32(csum_begin(pkt->ip4->check), old_addr, new_addr[0]));
		rewrite_l4_checksum(pkt, &old_addr, new_addr, 1, old_port, new_port);
	} else if (pkt->ip6) {
		__be32 *addr = side == ENDPOINT_SOURCE ? pkt->ip6->saddr.in6_u.u6_addr32 :
							 pkt->ip6->daddr.in6_u.u6_addr32;
		__be32 old_addr[4];

		__builtin_memcpy(old_addr, addr, sizeof(old_addr));
		__builtin_memcpy(addr, new_addr, sizeof(old_addr));
		rewrite_l4_checksum(pkt, old_addr, new_addr, 4, old_port, new_port);
	}
	*port = new_port;
}

#endif /* SLUICE_NAT_H */
