/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Sends a rewritten packet on its way: the kernel's FIB picks the egress and
 * next hop; we redirect (or bounce with XDP_TX). When the FIB cannot answer
 * in full (no neighbour entry yet, TTL running out, VLAN), the kernel's own
 * forwarding path takes the already rewritten packet.
 */
#ifndef SLUICE_FORWARD_H
#define SLUICE_FORWARD_H

#include <linux/if_ether.h>
#include "counters.h"
#include "csum.h"
#include "packet.h"

#define AF_INET 2
#define AF_INET6 10
#define IPV6_FLOWINFO_MASK bpf_htonl(0x0fffffff)

static __always_inline void fill_fib_query(struct bpf_fib_lookup *fib, const struct packet *pkt,
					   __u32 ifindex)
{
	fib->ifindex = ifindex;
	fib->l4_protocol = pkt->key.protocol;
	fib->sport = pkt->key.src_port;
	fib->dport = pkt->key.dst_port;
	if (pkt->ip4) {
		fib->family = AF_INET;
		fib->tos = pkt->ip4->tos;
		fib->tot_len = bpf_ntohs(pkt->ip4->tot_len);
		fib->ipv4_src = pkt->ip4->saddr;
		fib->ipv4_dst = pkt->ip4->daddr;
	} else if (pkt->ip6) {
		fib->family = AF_INET6;
		fib->flowinfo = *(__be32 *)pkt->ip6 & IPV6_FLOWINFO_MASK;
		fib->tot_len = bpf_ntohs(pkt->ip6->payload_len);
		__builtin_memcpy(fib->ipv6_src, &pkt->ip6->saddr, sizeof(fib->ipv6_src));
		__builtin_memcpy(fib->ipv6_dst, &pkt->ip6->daddr, sizeof(fib->ipv6_dst));
	}
}

/* Router duty on the fast path; returns 0 when the hop budget is spent. */
static __always_inline int decrement_hop_limit(struct packet *pkt)
{
	if (pkt->ip4) {
		/* TTL shares a checksummed 16-bit word with the protocol byte. */
		__u16 *ttl_word = (__u16 *)&pkt->ip4->ttl;
		__u16 old_word = *ttl_word;

		if (pkt->ip4->ttl <= 1)
			return 0;
		pkt->ip4->ttl--;
		pkt->ip4->check = csum_finish(csum_add_change16(csum_begin(pkt->ip4->check),
								 old_word, *ttl_word));
		return 1;
	}
	if (pkt->ip6) {
		if (pkt->ip6->hop_limit <= 1)
			return 0;
		pkt->ip6->hop_limit--;
		return 1;
	}
	return 0;
}

static __always_inline int forward_packet(struct xdp_md *ctx, struct packet *pkt)
{
	struct bpf_fib_lookup fib = {};
	long verdict;

	if (pkt->vlan_tagged)
		return pass_for(CNT_PASS_VLAN_TAGGED);

	fill_fib_query(&fib, pkt, ctx->ingress_ifindex);
	verdict = bpf_fib_lookup(ctx, &fib, sizeof(fib), 0);
	if (verdict == BPF_FIB_LKUP_RET_NO_NEIGH)
		return pass_for(CNT_PASS_NO_NEIGHBOUR);
	if (verdict != BPF_FIB_LKUP_RET_SUCCESS)
		return pass_for(CNT_PASS_NO_ROUTE);
	if (!decrement_hop_limit(pkt))
		return pass_for(CNT_PASS_TTL_EXCEEDED);

	__builtin_memcpy(pkt->eth->h_dest, fib.dmac, ETH_ALEN);
	__builtin_memcpy(pkt->eth->h_source, fib.smac, ETH_ALEN);
	if (fib.ifindex == ctx->ingress_ifindex)
		return XDP_TX;
	return bpf_redirect(fib.ifindex, 0);
}

#endif /* SLUICE_FORWARD_H */
