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
#include "tunables.h"
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
		pkt->ip4->check = csum_finish(
			csum_add_change16(csum_begin(pkt->ip4->check), old_word, *ttl_word));
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

static __always_inline __u32 l3_length(const struct packet *pkt)
{
	if (pkt->ip4)
		return bpf_ntohs(pkt->ip4->tot_len);
	if (pkt->ip6)
		return sizeof(*pkt->ip6) + bpf_ntohs(pkt->ip6->payload_len);
	return 0;
}

/*
 * A next-hop cache's four fields, as struct backend_next_hop and struct
 * flow_value (reply_next_hop_*) lay them out: the shared structs hold only
 * scalars and arrays, so each spells them out, and these checks keep the
 * three in step.
 */
struct next_hop {
	__u64 checked_ns;
	__u32 ifindex;
	__u16 max_len;
	__u8 macs[2 * ETH_ALEN];
};

#define NEXT_HOP_AT(type, first, second, third, fourth)                                            \
	_Static_assert(                                                                            \
		__builtin_offsetof(type, second) - __builtin_offsetof(type, first) ==              \
				__builtin_offsetof(struct next_hop, ifindex) &&                    \
			__builtin_offsetof(type, third) - __builtin_offsetof(type, first) ==       \
				__builtin_offsetof(struct next_hop, max_len) &&                    \
			__builtin_offsetof(type, fourth) - __builtin_offsetof(type, first) ==      \
				__builtin_offsetof(struct next_hop, macs) &&                       \
			__builtin_offsetof(type, first) % 8 == 0 &&                                \
			__builtin_offsetof(type, first) + sizeof(struct next_hop) <= sizeof(type), \
		#type " lays out its next-hop cache as struct next_hop")
NEXT_HOP_AT(struct backend_next_hop, checked_ns, ifindex, max_len, macs);
NEXT_HOP_AT(struct flow_value, reply_next_hop_checked_ns, reply_next_hop_ifindex,
	    reply_next_hop_max_len, reply_next_hop_macs);

static __always_inline struct next_hop *flow_reply_next_hop(struct flow_value *flow)
{
	return (struct next_hop *)&flow->reply_next_hop_checked_ns;
}

static __always_inline int next_hop_is_fresh(const struct next_hop *hop, __u64 now, __u32 length)
{
	return hop && hop->checked_ns && now - hop->checked_ns < next_hop_ttl_ns &&
	       length <= hop->max_len;
}

/* Remembers the FIB's answer; concurrent writers of a flow's cache store the same answer. */
static __always_inline void
remember_next_hop(struct next_hop *hop, const struct bpf_fib_lookup *fib, __u64 now, __u32 length)
{
	int same = hop->checked_ns && hop->ifindex == fib->ifindex &&
		   now - hop->checked_ns < next_hop_ttl_ns;
	__u16 max_len = hop->max_len;

	hop->ifindex = fib->ifindex;
	__builtin_memcpy(hop->macs, fib->dmac, ETH_ALEN);
	__builtin_memcpy(hop->macs + ETH_ALEN, fib->smac, ETH_ALEN);
	hop->max_len = same && max_len > length ? max_len : length;
	hop->checked_ns = now;
}

/*
 * Fills the answer (egress and MACs) from `hop` if it is fresh and covers
 * `length`; returns 0 when the FIB must be asked instead.
 */
static __always_inline int use_cached_next_hop(const struct next_hop *hop, __u64 now, __u32 length,
					       struct bpf_fib_lookup *fib)
{
	if (!next_hop_is_fresh(hop, now, length))
		return 0;
	fib->ifindex = hop->ifindex;
	__builtin_memcpy(fib->dmac, hop->macs, ETH_ALEN);
	__builtin_memcpy(fib->smac, hop->macs + ETH_ALEN, ETH_ALEN);
	return 1;
}

/*
 * This CPU's next hop toward `backend` for flows of `mode`, or NULL. An entry
 * last asked for another address or mode (the id was reused, or the flow
 * keeps an older mode of its service) is emptied first: the FIB answers anew.
 */
static __always_inline struct next_hop *backend_next_hop(__u32 backend_id,
							 const struct backend *backend, __u32 mode)
{
	struct backend_next_hop *entry = bpf_map_lookup_elem(&backend_next_hops, &backend_id);

	if (!entry)
		return NULL;
	if (entry->mode != mode || !same_address(entry->addr, backend->addr)) {
		__builtin_memcpy(entry->addr, backend->addr, sizeof(entry->addr));
		entry->mode = mode;
		entry->checked_ns = 0;
	}
	return (struct next_hop *)&entry->checked_ns;
}

/* Writes the next hop's MACs into the frame and sends it out of the FIB's egress. */
static __always_inline int send_to_next_hop(struct xdp_md *ctx, struct ethhdr *eth,
					    const struct bpf_fib_lookup *fib)
{
	__builtin_memcpy(eth->h_dest, fib->dmac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, fib->smac, ETH_ALEN);
	if (fib->ifindex == ctx->ingress_ifindex)
		return XDP_TX;
	return bpf_redirect(fib->ifindex, 0);
}

/* `hop` is the destination's next-hop cache, or NULL when there is none to use or fill. */
static __always_inline int forward_packet(struct xdp_md *ctx, struct packet *pkt,
					  struct next_hop *hop, __u64 now)
{
	__u32 length = l3_length(pkt);
	struct bpf_fib_lookup fib = {};
	long verdict;

	if (pkt->vlan_tagged)
		return pass_for(CNT_PASS_VLAN_TAGGED);

	if (!use_cached_next_hop(hop, now, length, &fib)) {
		fill_fib_query(&fib, pkt, ctx->ingress_ifindex);
		verdict = bpf_fib_lookup(ctx, &fib, sizeof(fib), 0);
		if (verdict == BPF_FIB_LKUP_RET_NO_NEIGH)
			return pass_for(CNT_PASS_NO_NEIGHBOUR);
		if (verdict != BPF_FIB_LKUP_RET_SUCCESS)
			return pass_for(CNT_PASS_NO_ROUTE);
		if (hop)
			remember_next_hop(hop, &fib, now, length);
	}
	if (!decrement_hop_limit(pkt))
		return pass_for(CNT_PASS_TTL_EXCEEDED);
	return send_to_next_hop(ctx, pkt->eth, &fib);
}

#endif /* SLUICE_FORWARD_H */
