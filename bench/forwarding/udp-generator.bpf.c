// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Bounded UDP generator for the live-frames mode of BPF_PROG_TEST_RUN, run
 * in the client namespace: each iteration writes the template frame, gives
 * it flow n % flows (client port and address), fixes the IPv4 and UDP
 * checksums, and sends it out of the client's interface with XDP_TX. The
 * caller's repeat count bounds how many frames there will ever be.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define FRAME_MAX 128

struct generator_config {
	__u32 length;
	__u32 ports_per_addr;
	__u64 flows;
	__u32 base_port;	/* host order; the template carries this port */
	__u32 base_addr;	/* host order; the template carries this source address */
	__u8 frame[FRAME_MAX];	/* Ethernet + IPv4 + UDP, checksums valid */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct generator_config);
} config SEC(".maps");

/* Frames generated so far, per CPU (a test run stays on one CPU). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} sequence SEC(".maps");

static __always_inline __u16 fold(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)sum;
}

SEC("xdp")
int generate(struct xdp_md *ctx)
{
	__u32 zero = 0;
	struct generator_config *cfg = bpf_map_lookup_elem(&config, &zero);
	__u64 *seq = bpf_map_lookup_elem(&sequence, &zero);
	void *data, *data_end;
	struct iphdr *ip;
	struct udphdr *udp;
	__u32 len, i, sum, old_addr, new_addr;
	__u16 old_port, new_port, *words;

	if (!cfg || !seq || !cfg->flows || !cfg->ports_per_addr)
		return XDP_ABORTED;
	len = cfg->length;
	if (len < sizeof(struct ethhdr) + sizeof(*ip) + sizeof(*udp) || len > FRAME_MAX)
		return XDP_ABORTED;
	if (bpf_xdp_store_bytes(ctx, 0, cfg->frame, len))
		return XDP_ABORTED;

	i = (__u32)(*seq % cfg->flows);
	*seq += 1;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	ip = data + sizeof(struct ethhdr);
	udp = (void *)(ip + 1);
	if ((void *)(udp + 1) > data_end)
		return XDP_ABORTED;

	old_addr = ip->saddr;
	old_port = udp->source;
	new_addr = bpf_htonl(cfg->base_addr + i / cfg->ports_per_addr);
	new_port = bpf_htons((__u16)(cfg->base_port + i % cfg->ports_per_addr));
	ip->saddr = new_addr;
	udp->source = new_port;

	/* IPv4 header checksum from scratch (20 bytes, no options). */
	ip->check = 0;
	words = (__u16 *)ip;
	sum = 0;
#pragma unroll
	for (int w = 0; w < 10; w++)
		sum += words[w];
	ip->check = ~fold(sum);

	/* UDP checksum: RFC 1624 update for the address and port that changed. */
	sum = (__u16)~udp->check;
	sum += (__u16)~(old_addr & 0xffff) + (new_addr & 0xffff);
	sum += (__u16)~(old_addr >> 16) + (new_addr >> 16);
	sum += (__u16)~old_port + new_port;
	udp->check = ~fold(sum);
	if (udp->check == 0)
		udp->check = 0xffff;
	return XDP_TX;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
