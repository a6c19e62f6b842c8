// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Sluice's backend-side decapsulation: strips the IPIP, IP6IP6 and GUE
 * (variant 1) tunnels a balancer in ipip/gue mode sends to this host, and
 * hands the client's own packet to the stack, which answers the client
 * directly from the VIP on its loopback. Many hosts' kernels have no
 * ipip/fou modules; this needs none.
 *
 * Two entry points over one parse (decap_plan.h):
 *   decap_xdp: XDP, for interfaces whose driver runs it (the fast path);
 *   decap_tc:  TC ingress (sched_cls), for interfaces without XDP.
 * Both count every packet once in decap_counters by outcome.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

#include "sluice_decap.h"
#include "decap_maps.h"
#include "decap_plan.h"

/*
 * BPF_F_ADJ_ROOM_DECAP_L3_IPV4/IPV6 (Linux 6.3): the inner family after a
 * shrink at the MAC layer, so the kernel sets skb->protocol to it (GUE may
 * carry IPv6 in IPv4 and back). This machine's uapi header predates them.
 */
#define DECAP_ADJ_ROOM_L3_IPV4 (1ULL << 7)
#define DECAP_ADJ_ROOM_L3_IPV6 (1ULL << 8)

/* Longest outer + inner headers the plan reads: Ethernet, IPv6, UDP, inner IPv6. */
#define DECAP_PARSE_LEN (14 + 40 + 8 + 40)

/* XDP: move the start of the frame past the outer headers, then write the Ethernet header there again. */
static __always_inline int strip_xdp(struct xdp_md *ctx, const struct decap_plan *plan)
{
	struct ethhdr *eth = (void *)(long)ctx->data, *moved;
	__u8 macs[2 * ETH_ALEN];

	if ((void *)(eth + 1) > (void *)(long)ctx->data_end)
		return -1;
	__builtin_memcpy(macs, eth, sizeof(macs));
	if (bpf_xdp_adjust_head(ctx, (int)plan->outer_len))
		return -1;
	moved = (void *)(long)ctx->data;
	if ((void *)(moved + 1) > (void *)(long)ctx->data_end)
		return -1;
	__builtin_memcpy(moved, macs, sizeof(macs));
	moved->h_proto = ethertype_of(plan->inner_family);
	return 0;
}

SEC("xdp")
int decap_xdp(struct xdp_md *ctx)
{
	struct decap_plan plan = {};

	plan_decap((void *)(long)ctx->data, (void *)(long)ctx->data_end, &plan);
	if (is_stripped(plan.outcome) && strip_xdp(ctx, &plan))
		plan.outcome = DECAP_CNT_DROP_STRIP_FAILED;
	count_decap(plan.outcome);
	return is_dropped(plan.outcome) ? XDP_DROP : XDP_PASS;
}

/*
 * TC: bpf_skb_adjust_room at BPF_ADJ_ROOM_MAC removes the bytes right after
 * the Ethernet header (the outer IP and UDP headers) and keeps the skb's
 * checksum state right (skb_postpull_rcsum); the DECAP_L3 flag tells it the
 * inner family, so skb->protocol, which the stack dispatches on after TC,
 * names the inner packet's. FIXED_GSO: a GRO'd skb keeps its gso_size, the
 * inner segments' payload size, which removing outer headers does not change.
 * The Ethernet type is rewritten too, for anything that reads the frame.
 */
static __always_inline int strip_tc(struct __sk_buff *skb, const struct decap_plan *plan)
{
	__u64 flags = BPF_F_ADJ_ROOM_FIXED_GSO;
	__be16 proto = ethertype_of(plan->inner_family);

	flags |= plan->inner_family == FAMILY_IPV4 ? DECAP_ADJ_ROOM_L3_IPV4 :
						     DECAP_ADJ_ROOM_L3_IPV6;
	if (bpf_skb_adjust_room(skb, -(__s32)plan->outer_len, BPF_ADJ_ROOM_MAC, flags))
		return -1;
	return bpf_skb_store_bytes(skb, offsetof(struct ethhdr, h_proto), &proto, sizeof(proto), 0);
}

SEC("tc")
int decap_tc(struct __sk_buff *skb)
{
	struct decap_plan plan = {};
	__u32 linear = skb->data_end - skb->data;

	/* The headers may sit in paged data: make the ones the plan reads linear (a no-op when they are). */
	if (linear < DECAP_PARSE_LEN && skb->len > linear)
		bpf_skb_pull_data(skb, skb->len < DECAP_PARSE_LEN ? skb->len : DECAP_PARSE_LEN);
	plan_decap((void *)(long)skb->data, (void *)(long)skb->data_end, &plan);
	if (is_stripped(plan.outcome) && strip_tc(skb, &plan))
		plan.outcome = DECAP_CNT_DROP_STRIP_FAILED;
	count_decap(plan.outcome);
	return is_dropped(plan.outcome) ? TC_ACT_SHOT : TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
