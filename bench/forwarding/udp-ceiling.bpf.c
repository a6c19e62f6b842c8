// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The ceiling of the UDP bench's path (issue 14): on the LB's client link,
 * every IPv4 datagram to CEILING_VIP:CEILING_PORT is sent on to a backend
 * with nothing done but what forwarding on this network cannot avoid: the
 * two MACs rewritten and the frame redirected to the backend's link, the
 * backend picked by the client's address and port (so the frames spread over
 * the backends the way Sluice's flows do). No parsing beyond the headers it
 * must read, no table lookup, no checksum. What the sinks count through it
 * is the most XDP forwarding delivers on this test network in that run; the
 * datagrams keep the VIP as destination, so the backends hold it on their
 * loopback (as in dsr) for the sample to reach their UDP layer.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#ifndef CEILING_PORT
#error "build with -DCEILING_PORT=<the bench's UDP port> -DCEILING_VIP=<the VIP as a host-order number> -DCEILING_BACKENDS=<n>"
#endif

/* One backend's way out: the LB's link to it and the two MACs of that link. */
struct next_hop {
	__u32 ifindex;
	__u8 source[ETH_ALEN];
	__u8 destination[ETH_ALEN];
};

/* Filled by the bench (bench/forwarding/ceiling.ts) before the program is attached. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, CEILING_BACKENDS);
	__type(key, __u32);
	__type(value, struct next_hop);
} next_hops SEC(".maps");

SEC("xdp")
int ceiling(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct udphdr *udp = (void *)(ip + 1);
	struct next_hop *hop;
	__u32 slot;

	/* The generator's frames carry no IP options, so the UDP header follows a 20-byte IP header. */
	if ((void *)(udp + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP) || ip->ihl != 5)
		return XDP_PASS;
	if (ip->protocol != IPPROTO_UDP || ip->daddr != bpf_htonl(CEILING_VIP) ||
	    udp->dest != bpf_htons(CEILING_PORT))
		return XDP_PASS;
	slot = (bpf_ntohl(ip->saddr) * 31 + bpf_ntohs(udp->source)) % CEILING_BACKENDS;
	hop = bpf_map_lookup_elem(&next_hops, &slot);
	if (!hop)
		return XDP_ABORTED;
	__builtin_memcpy(eth->h_dest, hop->destination, ETH_ALEN);
	__builtin_memcpy(eth->h_source, hop->source, ETH_ALEN);
	return bpf_redirect(hop->ifindex, 0);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
