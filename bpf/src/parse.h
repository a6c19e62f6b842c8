/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Header cursor: each parse_* checks bounds and moves the cursor on. */
#ifndef SLUICE_PARSE_H
#define SLUICE_PARSE_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <linux/in.h>
#include <bpf/bpf_endian.h>

/* 802.1Q and 802.1ad: at most two tags (QinQ) before the IP header. */
#define MAX_VLAN_TAGS 2

struct header_cursor {
	void *pos;
};

struct vlan_header {
	__be16 tci;
	__be16 encapsulated_proto;
};

static __always_inline int is_vlan_proto(__be16 proto)
{
	return proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD);
}

/* Returns the ethertype in network order after any VLAN tags, or -1 if truncated. */
static __always_inline int parse_ethernet(struct header_cursor *cursor, void *data_end,
					  struct ethhdr **eth_out)
{
	struct ethhdr *eth = cursor->pos;
	struct vlan_header *vlan;
	__be16 proto;

	if ((void *)(eth + 1) > data_end)
		return -1;
	proto = eth->h_proto;
	cursor->pos = eth + 1;
	*eth_out = eth;

#pragma unroll
	for (int i = 0; i < MAX_VLAN_TAGS; i++) {
		if (!is_vlan_proto(proto))
			break;
		vlan = cursor->pos;
		if ((void *)(vlan + 1) > data_end)
			return -1;
		proto = vlan->encapsulated_proto;
		cursor->pos = vlan + 1;
	}
	return proto;
}

#endif /* SLUICE_PARSE_H */
