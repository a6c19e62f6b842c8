/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * L2 direct server return (IPVS "DR"): the frame goes to the backend's MAC
 * with its IP packet untouched (still to the VIP, TTL as it came: the
 * balancer is no router hop here); the backend holds the VIP on its loopback
 * and answers the client itself. So the backend must be on-link: the FIB is
 * asked for the backend's address, and an answer through a gateway (the next
 * hop it writes back is not the backend) is dropped, as is a backend with no
 * resolved MAC: the kernel could not send a VIP-addressed packet to it.
 */
#ifndef SLUICE_DSR_H
#define SLUICE_DSR_H

#include "forward.h"
#include "too_big.h"

/* The FIB query for the packet as it is, toward the backend's address instead of the VIP. */
static __always_inline void fill_dsr_fib_query(struct bpf_fib_lookup *fib, const struct packet *pkt,
					       const struct backend *backend, __u32 ifindex)
{
	fill_fib_query(fib, pkt, ifindex);
	if (pkt->ip4)
		fib->ipv4_dst = backend->addr[0];
	else
		__builtin_memcpy(fib->ipv6_dst, backend->addr, sizeof(fib->ipv6_dst));
}

/* After a lookup: the next hop the FIB wrote back is the backend itself (no gateway). */
static __always_inline int fib_next_hop_is(const struct bpf_fib_lookup *fib,
					   const struct packet *pkt, const struct backend *backend)
{
	if (pkt->ip4)
		return fib->ipv4_dst == backend->addr[0];
	return same_address(fib->ipv6_dst, backend->addr);
}

static __always_inline int forward_dsr(struct xdp_md *ctx, struct packet *pkt,
				       const struct backend *backend, __u32 service_id,
				       __u32 backend_id, __u64 now)
{
	struct next_hop *hop = backend_next_hop(backend_id, backend, MODE_DSR);
	__u32 length = l3_length(pkt);
	struct bpf_fib_lookup fib = {};
	long verdict;

	/* Left to the kernel as it came: no tag handling on this path. */
	if (pkt->vlan_tagged)
		return pass_for(CNT_PASS_VLAN_TAGGED);
	if (use_cached_next_hop(hop, now, length, &fib))
		return send_to_next_hop(ctx, pkt->eth, &fib);

	fill_dsr_fib_query(&fib, pkt, backend, ctx->ingress_ifindex);
	verdict = bpf_fib_lookup(ctx, &fib, sizeof(fib), 0);
	if (verdict == BPF_FIB_LKUP_RET_FRAG_NEEDED)
		return answer_too_big(ctx, pkt, fib.mtu_result, service_id, backend_id);
	/* On NO_NEIGH too the FIB has written the next hop: a gateway's missing MAC is still "not on-link". */
	if ((verdict != BPF_FIB_LKUP_RET_SUCCESS && verdict != BPF_FIB_LKUP_RET_NO_NEIGH) ||
	    !fib_next_hop_is(&fib, pkt, backend))
		return drop_for_backend(service_id, backend_id, CNT_DROP_DSR_NOT_ON_LINK,
					BACKEND_DROP_DSR_NOT_ON_LINK);
	if (verdict == BPF_FIB_LKUP_RET_NO_NEIGH)
		return drop_for_backend(service_id, backend_id, CNT_DROP_DSR_NO_NEIGHBOUR,
					BACKEND_DROP_DSR_NO_NEIGHBOUR);
	if (hop)
		remember_next_hop(hop, &fib, now, length);
	return send_to_next_hop(ctx, pkt->eth, &fib);
}

#endif /* SLUICE_DSR_H */
