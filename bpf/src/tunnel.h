/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Tunnel modes: the client's packet, unchanged, inside an outer header to
 * the backend's address (bpf_xdp_adjust_head makes the room):
 *   ipip: outer IPv4 (protocol 4) around IPv4, outer IPv6 (next header 41)
 *         around IPv6
 *   gue:  outer IP, then UDP to tunnel_settings.gue_port, then directly the
 *         inner IP header (GUE variant 1: the version nibble names the family)
 * Outer TTL/hop limit 64, IPv4 DF set, the inner DSCP/ECN byte copied out.
 * The flow hash spreads flows without per-packet state: low bits of the outer
 * source (source*_hash_bits), the IPv6 flow label, the GUE source port.
 *
 * Why the outer source is safe on the network the packet leaves on: it is an
 * address of the balancer on that network (tunnel_settings, written by the
 * agent), and with hash bits a prefix the operator routes to the balancer, so
 * a reverse-path filter on the fabric or the backend finds the route back
 * through the interface the packet came from, and ICMP errors about the
 * tunnel (too big, unreachable) return to the balancer. The packet is never
 * sourced from the client's address (which a fabric's uRPF would drop) nor
 * from the VIP (which the backends hold themselves).
 */
#ifndef SLUICE_TUNNEL_H
#define SLUICE_TUNNEL_H

#include "forward.h"
#include "hash.h"
#include "too_big.h"

#define TUNNEL_TTL 64
#define IPV6_FLOW_LABEL_MASK 0xfffff
/* GUE source ports from the flow hash: the dynamic range 49152..65535 (RFC 6335), never 0. */
#define GUE_SOURCE_PORT_BASE 49152
#define GUE_SOURCE_PORT_MASK 0x3fff

/* `base` with its low `bits` (at most `max_bits`) taken from the flow hash. */
static __always_inline __be32 with_hash_bits(__be32 base, __u32 bits, __u32 max_bits, __u32 hash)
{
	__u32 mask;

	if (bits > max_bits)
		bits = max_bits;
	if (!bits)
		return base;
	mask = bits >= 32 ? 0xffffffff : (1U << bits) - 1;
	return (base & ~bpf_htonl(mask)) | bpf_htonl(hash & mask);
}

/* The outer source for the packet's family; 0 when the agent has set none. */
static __always_inline int outer_source(const struct tunnel_settings *settings, int ipv4,
					__u32 hash, __be32 source[4])
{
	if (ipv4) {
		source[0] =
			with_hash_bits(settings->source4, settings->source4_hash_bits, 16, hash);
		return settings->source4 != 0;
	}
	__builtin_memcpy(source, settings->source6, sizeof(settings->source6));
	source[3] = with_hash_bits(settings->source6[3], settings->source6_hash_bits, 32, hash);
	return (settings->source6[0] | settings->source6[1] | settings->source6[2] |
		settings->source6[3]) != 0;
}

/* Everything the outer headers need, read before the packet moves. */
struct tunnel_plan {
	__be32 source[4];
	__u32 inner_len; /* L3 length of the client's packet */
	__u32 overhead; /* bytes of outer headers */
	__u32 hash;
	__be16 gue_port; /* 0 for ipip */
	__u8 ipv4;
	__u8 tos; /* inner DSCP/ECN (IPv4 TOS, IPv6 traffic class) */
};

static __always_inline __u8 inner_tos(const struct packet *pkt)
{
	if (pkt->ip4)
		return pkt->ip4->tos;
	if (pkt->ip6)
		return (bpf_ntohl(*(__be32 *)pkt->ip6) >> 20) & 0xff;
	return 0;
}

static __always_inline __be16 gue_source_port(__u32 hash)
{
	return bpf_htons(GUE_SOURCE_PORT_BASE | (hash & GUE_SOURCE_PORT_MASK));
}

/* The FIB query for the OUTER packet: to the backend, from the outer source, its full length. */
static __always_inline void fill_tunnel_fib_query(struct bpf_fib_lookup *fib,
						  const struct tunnel_plan *plan,
						  const struct backend *backend, __u32 ifindex)
{
	fib->ifindex = ifindex;
	fib->tot_len = plan->inner_len + plan->overhead;
	fib->tos = plan->tos;
	fib->l4_protocol = plan->gue_port ? IPPROTO_UDP : plan->ipv4 ? IPPROTO_IPIP : IPPROTO_IPV6;
	if (plan->gue_port) {
		fib->sport = gue_source_port(plan->hash);
		fib->dport = plan->gue_port;
	}
	if (plan->ipv4) {
		fib->family = AF_INET;
		fib->ipv4_src = plan->source[0];
		fib->ipv4_dst = backend->addr[0];
	} else {
		fib->family = AF_INET6;
		fib->flowinfo = bpf_htonl(plan->hash & IPV6_FLOW_LABEL_MASK);
		__builtin_memcpy(fib->ipv6_src, plan->source, sizeof(fib->ipv6_src));
		__builtin_memcpy(fib->ipv6_dst, backend->addr, sizeof(fib->ipv6_dst));
	}
}

static __always_inline void build_outer_ipv4(struct iphdr *outer, const struct tunnel_plan *plan,
					     const struct backend *backend)
{
	*outer = (struct iphdr){
		.version = 4,
		.ihl = sizeof(*outer) / 4,
		.tos = plan->tos,
		.tot_len = bpf_htons(plan->inner_len + plan->overhead),
		/* ID 0 is fine with DF set (RFC 6864): the packet is never fragmented. */
		.frag_off = bpf_htons(IPV4_DONT_FRAGMENT),
		.ttl = TUNNEL_TTL,
		.protocol = plan->gue_port ? IPPROTO_UDP : IPPROTO_IPIP,
		.saddr = plan->source[0],
		.daddr = backend->addr[0],
	};
	outer->check = ipv4_header_checksum(outer);
}

static __always_inline void build_outer_ipv6(struct ipv6hdr *outer, const struct tunnel_plan *plan,
					     const struct backend *backend)
{
	*(__be32 *)outer = bpf_htonl(0x60000000 | (__u32)plan->tos << 20 |
				     (plan->hash & IPV6_FLOW_LABEL_MASK));
	outer->payload_len = bpf_htons(plan->inner_len + plan->overhead - sizeof(*outer));
	outer->nexthdr = plan->gue_port ? IPPROTO_UDP : IPPROTO_IPV6;
	outer->hop_limit = TUNNEL_TTL;
	__builtin_memcpy(&outer->saddr, plan->source, sizeof(outer->saddr));
	__builtin_memcpy(&outer->daddr, backend->addr, sizeof(outer->daddr));
}

/*
 * The GUE UDP header. Its checksum is 0 (none) for both families: IPv4
 * allows it, and for IPv6 RFC 6935/6936 allow a zero checksum for tunnel
 * protocols whose inner packet carries its own; Sluice's decapsulation
 * program accepts it.
 */
static __always_inline void build_gue_udp(struct udphdr *udp, const struct tunnel_plan *plan)
{
	udp->source = gue_source_port(plan->hash);
	udp->dest = plan->gue_port;
	udp->len = bpf_htons(plan->inner_len + sizeof(*udp));
	udp->check = 0;
}

/* Puts the outer headers in front of the packet (all packet pointers are stale afterwards). */
static __always_inline int encapsulate(struct xdp_md *ctx, const struct tunnel_plan *plan,
				       const struct backend *backend,
				       const struct bpf_fib_lookup *fib)
{
	struct ethhdr *eth;
	void *data_end, *l4;
	__u32 ip_len = plan->ipv4 ? sizeof(struct iphdr) : sizeof(struct ipv6hdr);

	if (bpf_xdp_adjust_head(ctx, -(int)plan->overhead))
		return XDP_ABORTED;
	eth = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	if ((void *)(eth + 1) + sizeof(struct ipv6hdr) + sizeof(struct udphdr) > data_end)
		return XDP_ABORTED;
	eth->h_proto = bpf_htons(plan->ipv4 ? ETH_P_IP : ETH_P_IPV6);
	if (plan->ipv4)
		build_outer_ipv4((void *)(eth + 1), plan, backend);
	else
		build_outer_ipv6((void *)(eth + 1), plan, backend);
	if (plan->gue_port) {
		l4 = (void *)(eth + 1) + ip_len;
		if (l4 + sizeof(struct udphdr) > data_end)
			return XDP_ABORTED;
		build_gue_udp(l4, plan);
	}
	return send_to_next_hop(ctx, eth, fib);
}

static __always_inline int forward_tunnelled(struct xdp_md *ctx, struct packet *pkt,
					     const struct backend *backend, __u32 service_id,
					     __u32 backend_id, __u32 mode, __u64 now)
{
	struct next_hop *hop = backend_next_hop(backend_id, backend, mode);
	__u32 zero = 0;
	const struct tunnel_settings *settings = bpf_map_lookup_elem(&tunnel_settings, &zero);
	struct tunnel_plan plan = {
		.inner_len = l3_length(pkt),
		.hash = hash_flow(&pkt->key),
		.ipv4 = pkt->ip4 != NULL,
		.tos = inner_tos(pkt),
	};
	struct bpf_fib_lookup fib = {};
	long verdict;

	/* Left to the kernel as it came: no tag handling on this path. */
	if (pkt->vlan_tagged)
		return pass_for(CNT_PASS_VLAN_TAGGED);
	if (!settings || !outer_source(settings, plan.ipv4, plan.hash, plan.source) ||
	    (mode == MODE_GUE && !settings->gue_port))
		return drop_for_service(service_id, CNT_DROP_TUNNEL_UNCONFIGURED);
	plan.gue_port = mode == MODE_GUE ? settings->gue_port : 0;
	plan.overhead = (plan.ipv4 ? sizeof(struct iphdr) : sizeof(struct ipv6hdr)) +
			(plan.gue_port ? sizeof(struct udphdr) : 0);

	if (!use_cached_next_hop(hop, now, plan.inner_len + plan.overhead, &fib)) {
		fill_tunnel_fib_query(&fib, &plan, backend, ctx->ingress_ifindex);
		verdict = bpf_fib_lookup(ctx, &fib, sizeof(fib), 0);
		/* The client's packets must leave room for the outer headers. */
		if (verdict == BPF_FIB_LKUP_RET_FRAG_NEEDED)
			return answer_too_big(
				ctx, pkt,
				fib.mtu_result > plan.overhead ? fib.mtu_result - plan.overhead : 0,
				service_id, backend_id);
		if (verdict != BPF_FIB_LKUP_RET_SUCCESS)
			return drop_for_backend(service_id, backend_id, CNT_DROP_TUNNEL_NO_NEXT_HOP,
						BACKEND_DROP_TUNNEL_NO_NEXT_HOP);
		if (hop)
			remember_next_hop(hop, &fib, now, plan.inner_len + plan.overhead);
	}
	return encapsulate(ctx, &plan, backend, &fib);
}

#endif /* SLUICE_TUNNEL_H */
