// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Restore-then-tail-call harness for BPF_PROG_TEST_RUN with repeat.
 *
 * With repeat > 1 the kernel hands every iteration the buffer the previous
 * one left behind, so a NAT program would time its own rewritten output from
 * iteration 2 on. `harness` first writes the frame template back (and, for
 * the many-flows cases, a per-iteration client port and address), then
 * tail-calls `target[0]`: either the program under test or `empty`. The
 * bench reports  floor + (harness->program - harness->empty),  which cancels
 * the restore and the tail call.
 *
 * A tunnelling mode leaves the frame longer at its head (the outer headers):
 * the restore first moves the head back to the template's length. It does so
 * on every iteration, a move of 0 when nothing grew, so the harness->empty
 * run pays the same helper call and the difference still cancels it.
 *
 * The varied fields do not get their checksums fixed: the data plane never
 * verifies checksums, it only updates them incrementally, which costs the
 * same whatever the values are.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* Largest frame the bench sends: 64 B IPv4, 74/86 B IPv6 TCP/UDP. */
#define FRAME_MAX 128

enum flow_mode {
	FLOW_FIXED = 0,		/* the template as it is: one flow */
	FLOW_CYCLE = 1,		/* flow n % flows: established flows, visited in turn */
	FLOW_UNIQUE = 2,	/* flow n: a new flow every iteration */
};

struct frame_template {
	__u32 length;
	__u32 mode;		/* enum flow_mode */
	__u64 flows;		/* cycle length for FLOW_CYCLE */
	__u32 ports_per_addr;	/* flow i uses port base + i % this, address base + i / this */
	__u16 port_offset;	/* frame offset of the varied port (client side) */
	__u16 addr_offset;	/* frame offset of the varied address's last 32-bit word */
	__u32 base_port;	/* host order */
	__u32 base_addr;	/* host order, last 32-bit word of the address */
	__u8 frame[FRAME_MAX];
};

/* The frame every iteration starts from, and how to vary the flow. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct frame_template);
} template SEC(".maps");

/* Iterations so far; test runs stay on one CPU, so a plain counter is exact. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} cursor SEC(".maps");

/* Slot 0: the program being timed (the data plane, or `empty`). */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} target SEC(".maps");

static __always_inline int restore_frame(struct xdp_md *ctx)
{
	__u32 zero = 0;
	struct frame_template *t = bpf_map_lookup_elem(&template, &zero);
	__u64 *count, n, i;
	__be16 port;
	__be32 addr;
	__u32 len;
	int grown;

	if (!t)
		return -1;
	len = t->length;
	if (len < 14 || len > FRAME_MAX)
		return -1;
	/* The length as a number (the verifier refuses arithmetic between packet pointers). */
	grown = (int)bpf_xdp_get_buff_len(ctx) - (int)len;
	if (bpf_xdp_adjust_head(ctx, grown))
		return -1;
	if (bpf_xdp_store_bytes(ctx, 0, t->frame, len))
		return -1;
	if (t->mode == FLOW_FIXED || !t->ports_per_addr)
		return 0;

	count = bpf_map_lookup_elem(&cursor, &zero);
	if (!count)
		return -1;
	n = (*count)++;
	i = n;
	if (t->mode == FLOW_CYCLE && t->flows)
		i = n % t->flows;
	port = bpf_htons((__u16)(t->base_port + i % t->ports_per_addr));
	addr = bpf_htonl(t->base_addr + (__u32)(i / t->ports_per_addr));
	if (bpf_xdp_store_bytes(ctx, t->port_offset, &port, sizeof(port)) ||
	    bpf_xdp_store_bytes(ctx, t->addr_offset, &addr, sizeof(addr)))
		return -1;
	return 0;
}

SEC("xdp")
int harness(struct xdp_md *ctx)
{
	if (restore_frame(ctx))
		return XDP_ABORTED;
	bpf_tail_call(ctx, &target, 0);
	return XDP_ABORTED;	/* empty slot: never timed by accident */
}

/* The floor: the cheapest XDP program there is. */
SEC("xdp")
int empty(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
