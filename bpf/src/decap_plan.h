/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The decapsulation program's one parse, shared by its XDP and TC entry
 * points: reads a frame and says what to do with it (strip how many bytes
 * after the Ethernet header, to which inner family, or pass/drop and why).
 * It never writes the packet; the entry points do the strip their hook allows.
 *
 * Accepted, when the outer destination is one of decap_addresses:
 *   IPv4 | protocol 4  | inner IPv4              (IPIP)
 *   IPv6 | next hdr 41 | inner IPv6              (IP6IP6)
 *   IPv4 or IPv6 | UDP to the GUE port | inner IPv4 or IPv6 by its version
 *                                                (GUE variant 1: no GUE header)
 * Everything else passes untouched and the stack treats it as it would
 * without this program. The outer IPv4 header checksum and the outer UDP
 * checksum are not verified: the outer headers are thrown away, and the
 * inner packet carries its own checksums, which the stack verifies. A zero
 * UDP checksum over IPv6 is accepted: RFC 6935/6936 allow it for tunnels,
 * and the balancer sends exactly that.
 */
#ifndef SLUICE_DECAP_PLAN_H
#define SLUICE_DECAP_PLAN_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include "sluice_shared.h"
#include "sluice_decap.h"
#include "decap_maps.h"

/* IPv4 flags/fragment-offset bits: more-fragments and the offset. */
#define DECAP_IP_MF 0x2000
#define DECAP_IP_OFFSET 0x1fff

/* IPv6 extension headers a tunnel could sit behind (hop-by-hop, routing, destination options). */
#define DECAP_IPV6_HOPOPTS 0
#define DECAP_IPV6_ROUTING 43
#define DECAP_IPV6_FRAGMENT 44
#define DECAP_IPV6_DSTOPTS 60

/* GUE variant 1 (draft-ietf-intarea-gue): the first nibble is the inner IP version itself. */
#define GUE_V1_IPV4 4
#define GUE_V1_IPV6 6

struct decap_plan {
	__u32 outcome; /* enum sluice_decap_counter */
	__u32 outer_len; /* bytes between the Ethernet header and the inner IP header */
	__u8 inner_family; /* enum sluice_family, when outcome is a DECAP_CNT_<kind> */
};

static __always_inline int is_stripped(__u32 outcome)
{
	return outcome <= DECAP_CNT_GUE_IPV6;
}

static __always_inline int is_dropped(__u32 outcome)
{
	return outcome >= DECAP_CNT_DROP_TRUNCATED_INNER;
}

static __always_inline void count_decap(__u32 outcome)
{
	__u64 *value = bpf_map_lookup_elem(&decap_counters, &outcome);

	if (value)
		*value += 1;
}

static __always_inline int is_gue_port(__be16 port)
{
	__u32 zero = 0;
	struct decap_settings *settings = bpf_map_lookup_elem(&decap_settings, &zero);

	return settings && settings->gue_port != 0 && settings->gue_port == port;
}

/* Is `addr` (4 bytes for IPv4, 16 for IPv6) one of this host's tunnel endpoints? */
static __always_inline int is_local_endpoint(__u8 family, const void *addr)
{
	struct decap_address_key key = { .family = family };

	if (family == FAMILY_IPV4)
		__builtin_memcpy(key.addr, addr, 4);
	else
		__builtin_memcpy(key.addr, addr, 16);
	return bpf_map_lookup_elem(&decap_addresses, &key) != NULL;
}

/*
 * The inner IP header at `inner` must be whole and of the expected family
 * (0: either, told by its version, as GUE variant 1 does). Fills
 * plan->inner_family and returns `stripped`, or a drop outcome.
 */
static __always_inline __u32 check_inner(const __u8 *inner, void *data_end, __u8 expected,
					 struct decap_plan *plan, __u32 stripped)
{
	__u8 version;

	if ((void *)(inner + 1) > data_end)
		return DECAP_CNT_DROP_TRUNCATED_INNER;
	version = inner[0] >> 4;
	if (version != GUE_V1_IPV4 && version != GUE_V1_IPV6)
		return DECAP_CNT_DROP_BAD_INNER;
	if (expected && version != expected)
		return DECAP_CNT_DROP_BAD_INNER;
	if (version == FAMILY_IPV4) {
		if ((void *)(inner + sizeof(struct iphdr)) > data_end)
			return DECAP_CNT_DROP_TRUNCATED_INNER;
		/* The stack would read an IHL below 5 as a header overlapping the payload. */
		if ((inner[0] & 0x0f) < 5)
			return DECAP_CNT_DROP_BAD_INNER;
	} else if ((void *)(inner + sizeof(struct ipv6hdr)) > data_end) {
		return DECAP_CNT_DROP_TRUNCATED_INNER;
	}
	plan->inner_family = version;
	return stripped;
}

/* A UDP header to the GUE port right after the outer IP header: its length, else 0. */
static __always_inline __u32 gue_header_len(void *udp_start, void *data_end)
{
	struct udphdr *udp = udp_start;

	if ((void *)(udp + 1) > data_end)
		return 0; /* too short to be GUE: the stack judges it as UDP */
	return is_gue_port(udp->dest) ? sizeof(*udp) : 0;
}

static __always_inline __u32 plan_ipv4(struct iphdr *ip, void *data_end, struct decap_plan *plan)
{
	__u32 stripped, udp_len = 0;
	__u8 expected;

	if ((void *)(ip + 1) > data_end || ip->version != 4)
		return DECAP_CNT_PASS_NOT_IP;
	if (ip->frag_off & bpf_htons(DECAP_IP_MF | DECAP_IP_OFFSET))
		return DECAP_CNT_PASS_FRAGMENT;
	if (ip->ihl != 5)
		return DECAP_CNT_PASS_IP_OPTIONS;
	if (ip->protocol == IPPROTO_IPIP) {
		stripped = DECAP_CNT_IPIP;
		expected = FAMILY_IPV4;
	} else if (ip->protocol == IPPROTO_UDP && (udp_len = gue_header_len(ip + 1, data_end))) {
		stripped = DECAP_CNT_GUE_IPV4;
		expected = 0;
	} else {
		return DECAP_CNT_PASS_NOT_TUNNEL;
	}
	if (!is_local_endpoint(FAMILY_IPV4, &ip->daddr))
		return DECAP_CNT_PASS_NOT_FOR_ME;
	plan->outer_len = sizeof(*ip) + udp_len;
	return check_inner((__u8 *)(ip + 1) + udp_len, data_end, expected, plan, stripped);
}

static __always_inline __u32 plan_ipv6(struct ipv6hdr *ip6, void *data_end, struct decap_plan *plan)
{
	__u32 stripped, udp_len = 0;
	__u8 expected, next = 0;

	if ((void *)(ip6 + 1) > data_end || ip6->version != 6)
		return DECAP_CNT_PASS_NOT_IP;
	next = ip6->nexthdr;
	if (next == DECAP_IPV6_FRAGMENT)
		return DECAP_CNT_PASS_FRAGMENT;
	if (next == DECAP_IPV6_HOPOPTS || next == DECAP_IPV6_ROUTING || next == DECAP_IPV6_DSTOPTS)
		return DECAP_CNT_PASS_IP_OPTIONS;
	if (next == IPPROTO_IPV6) {
		stripped = DECAP_CNT_IP6IP6;
		expected = FAMILY_IPV6;
	} else if (next == IPPROTO_UDP && (udp_len = gue_header_len(ip6 + 1, data_end))) {
		stripped = DECAP_CNT_GUE_IPV6;
		expected = 0;
	} else {
		return DECAP_CNT_PASS_NOT_TUNNEL;
	}
	if (!is_local_endpoint(FAMILY_IPV6, &ip6->daddr))
		return DECAP_CNT_PASS_NOT_FOR_ME;
	plan->outer_len = sizeof(*ip6) + udp_len;
	return check_inner((__u8 *)(ip6 + 1) + udp_len, data_end, expected, plan, stripped);
}

/* The frame from its Ethernet header: fills plan->outcome (and how to strip). */
static __always_inline void plan_decap(void *data, void *data_end, struct decap_plan *plan)
{
	struct ethhdr *eth = data;

	plan->outcome = DECAP_CNT_PASS_NOT_IP;
	if ((void *)(eth + 1) > data_end)
		return;
	/* A VLAN tag passes as not IP: attach the program to the VLAN's own interface. */
	if (eth->h_proto == bpf_htons(ETH_P_IP))
		plan->outcome = plan_ipv4((void *)(eth + 1), data_end, plan);
	else if (eth->h_proto == bpf_htons(ETH_P_IPV6))
		plan->outcome = plan_ipv6((void *)(eth + 1), data_end, plan);
}

static __always_inline __be16 ethertype_of(__u8 family)
{
	return family == FAMILY_IPV4 ? bpf_htons(ETH_P_IP) : bpf_htons(ETH_P_IPV6);
}

#endif /* SLUICE_DECAP_PLAN_H */
