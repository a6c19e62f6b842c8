/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Passes every frame. Tests attach it to the veth peer of an interface whose
 * XDP program answers with XDP_TX (e.g. the balancer's ICMP too-big answer):
 * a veth delivers an XDP_TX or redirected frame only to a peer that runs an
 * XDP program of its own; without one the frame is dropped silently.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
