// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The UDP bench's sink, on each backend's interface: counts every IPv4
 * datagram to SINK_PORT and drops it before the kernel builds an skb, except
 * one in SINK_SAMPLE, which goes up the stack so that the kernel checks its
 * checksum (InCsumErrors). Everything else passes untouched. The backends
 * are where the load ends, not what is measured: this keeps them from
 * setting the pace of the LB they sit behind.
 *
 * A datagram that arrives inside IPv4-in-IPv4 (Sluice's ipip mode) is
 * counted apart, by its inner header; its sample goes up unchanged, so the
 * backend's own decapsulation (Sluice's decap program in TC, after this one)
 * must strip it before the kernel's UDP counters see it.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#ifndef SINK_PORT
#error "build with -DSINK_PORT=<the bench's UDP port>"
#endif
#define SINK_SAMPLE 64

enum sink_slot {
	SINK_PLAIN = 0, /* the datagram itself (nat, dsr, plain routing, nftables) */
	SINK_TUNNELED = 1, /* inside IPv4-in-IPv4 (ipip) */
};

/* Datagrams that arrived, per CPU (dropped or sampled), by enum sink_slot. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} arrived SEC(".maps");

SEC("xdp")
int sink(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct udphdr *udp;
	__u32 slot = SINK_PLAIN;
	__u64 *count;

	if ((void *)(ip + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	if (ip->protocol == IPPROTO_IPIP) {
		ip = (void *)ip + ip->ihl * 4;
		if ((void *)(ip + 1) > data_end)
			return XDP_PASS;
		slot = SINK_TUNNELED;
	}
	if (ip->protocol != IPPROTO_UDP)
		return XDP_PASS;
	udp = (void *)ip + ip->ihl * 4;
	if ((void *)(udp + 1) > data_end || udp->dest != bpf_htons(SINK_PORT))
		return XDP_PASS;
	count = bpf_map_lookup_elem(&arrived, &slot);
	if (!count)
		return XDP_PASS;
	*count += 1;
	return *count % SINK_SAMPLE == 0 ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
