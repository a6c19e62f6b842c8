/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * A packet that will not fit the egress once encapsulated (or, in DSR, as it
 * is) is answered the way a router answers it, so the client lowers its path
 * MTU instead of retransmitting into a black hole:
 *   IPv4 with DF -> ICMP destination unreachable, fragmentation needed
 *                   (RFC 792, RFC 1191): the IP header + 8 bytes quoted
 *   IPv6         -> ICMPv6 packet too big (RFC 4443): as much of the packet
 *                   as fits in 1280 bytes quoted
 * from the VIP (the address the client sent to, so its stack matches the
 * error to its socket), sent back the way the packet came (MACs swapped,
 * XDP_TX), carrying the MTU the client's packets must fit.
 * An IPv4 packet without DF is dropped unanswered: a router could fragment
 * it, but XDP cannot fragment the outer packet, and the fragments a sender
 * would make after an ICMP answer are dropped at the VIP anyway (Sluice
 * balances no fragments); counted apart as CNT_DROP_TOO_BIG_NO_DF.
 * Answers are rate limited (RFC 4443 2.4(f), RFC 1812 4.3.2.8) to
 * too_big_answers_per_second over all CPUs, so big packets from spoofed
 * sources cannot make the balancer an ICMP source; a real client needs one
 * answer per path change. Beyond: dropped unanswered, CNT_DROP_TOO_BIG_RATE.
 * IPv6 note: a path whose MTU minus the tunnel overhead is under 1280 gets
 * that value, which RFC 8201 hosts raise to 1280: backend-facing links of
 * IPv6 tunnels need 1280 + overhead (1328 for GUE) at least.
 */
#ifndef SLUICE_TOO_BIG_H
#define SLUICE_TOO_BIG_H

#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include "counters.h"
#include "csum.h"
#include "packet.h"
#include "tunables.h"

#define IPV4_DONT_FRAGMENT 0x4000
#define ICMP_REPLY_TTL 64
/* IPv4: the offending packet's IP header (no options: those never reach here) + 8 bytes. */
#define ICMP4_QUOTE (sizeof(struct iphdr) + 8)
#define ICMP4_HEADERS (sizeof(struct iphdr) + sizeof(struct icmphdr))
/* IPv6: the whole answer within the minimum MTU, 1280 = 40 + 8 + 1232 quoted. */
#define IPV6_MIN_MTU 1280
#define ICMP6_HEADERS (sizeof(struct ipv6hdr) + sizeof(struct icmp6hdr))
#define ICMP6_QUOTE (IPV6_MIN_MTU - ICMP6_HEADERS)
/* bpf_csum_diff sums at most 512 bytes per call. */
#define CSUM_CHUNK 512

#define RATE_WINDOW_NS 1000000000ULL

/* The current one-second window of answers (.bss: shared by all CPUs; only the slow path touches it). */
static __u64 too_big_window_started_ns;
static __u64 too_big_window_answers;

/* Whether one more answer fits this second's budget (counts it). */
static __always_inline int take_too_big_answer(void)
{
	__u64 now = bpf_ktime_get_coarse_ns();
	__u64 started = too_big_window_started_ns;

	if (now - started >= RATE_WINDOW_NS &&
	    __sync_val_compare_and_swap(&too_big_window_started_ns, started, now) == started)
		__sync_lock_test_and_set(&too_big_window_answers, 0);
	return __sync_fetch_and_add(&too_big_window_answers, 1) < too_big_answers_per_second;
}

/* One's-complement sum of `size` bytes (a multiple of 4, at most CSUM_CHUNK), added to `sum`. */
static __always_inline __u64 csum_add_bytes(__u64 sum, void *data, __u32 size)
{
	return sum + (__u32)bpf_csum_diff(NULL, 0, data, size, 0);
}

static __always_inline __sum16 csum_finish64(__u64 sum)
{
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffffffff) + (sum >> 32);
	return csum_finish((__u32)sum);
}

/*
 * Cuts the frame to the Ethernet header + `quote` bytes of the packet and
 * makes room for `headers` before them; the original Ethernet header is
 * saved in `eth_out` first (the new headers overwrite it).
 */
static __always_inline int make_room_for_answer(struct xdp_md *ctx, const struct packet *pkt,
						__u32 quote, __u32 headers, struct ethhdr *eth_out)
{
	int frame_len = ctx->data_end - ctx->data;

	__builtin_memcpy(eth_out, pkt->eth, sizeof(*eth_out));
	if (bpf_xdp_adjust_tail(ctx, (int)(sizeof(struct ethhdr) + quote) - frame_len))
		return -1;
	return bpf_xdp_adjust_head(ctx, -(int)headers) ? -1 : 0;
}

/* Back the way the packet came: the sender's MAC becomes the destination. */
static __always_inline void turn_around_ethernet(struct ethhdr *eth, const struct ethhdr *old,
						 __be16 proto)
{
	__builtin_memcpy(eth->h_dest, old->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, old->h_dest, ETH_ALEN);
	eth->h_proto = proto;
}

static __always_inline int answer_too_big_v4(struct xdp_md *ctx, const struct packet *pkt,
					     __u32 mtu)
{
	struct ethhdr old_eth;
	struct iphdr *ip, *quoted;
	struct icmphdr *icmp;
	struct ethhdr *eth;
	void *data_end;

	if (make_room_for_answer(ctx, pkt, ICMP4_QUOTE, ICMP4_HEADERS, &old_eth))
		return XDP_ABORTED;
	eth = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	ip = (void *)(eth + 1);
	icmp = (void *)(ip + 1);
	quoted = (void *)(icmp + 1);
	if ((void *)quoted + ICMP4_QUOTE > data_end)
		return XDP_ABORTED;

	turn_around_ethernet(eth, &old_eth, bpf_htons(ETH_P_IP));
	*ip = (struct iphdr){
		.version = 4,
		.ihl = sizeof(*ip) / 4,
		.tot_len = bpf_htons(ICMP4_HEADERS + ICMP4_QUOTE),
		.ttl = ICMP_REPLY_TTL,
		.protocol = IPPROTO_ICMP,
		.saddr = quoted->daddr,
		.daddr = quoted->saddr,
	};
	ip->check = ipv4_header_checksum(ip);
	*icmp = (struct icmphdr){ .type = ICMP_DEST_UNREACH, .code = ICMP_FRAG_NEEDED };
	icmp->un.frag.mtu = bpf_htons(mtu);
	icmp->checksum = csum_finish64(csum_add_bytes(0, icmp, sizeof(*icmp) + ICMP4_QUOTE));
	return XDP_TX;
}

static __always_inline int answer_too_big_v6(struct xdp_md *ctx, const struct packet *pkt,
					     __u32 mtu)
{
	/* The pseudo-header's length and next-header words (RFC 8200 8.1). */
	__be32 pseudo_tail[2] = { bpf_htonl(sizeof(struct icmp6hdr) + ICMP6_QUOTE),
				  bpf_htonl(IPPROTO_ICMPV6) };
	struct ethhdr old_eth;
	struct ipv6hdr *ip6, *quoted;
	struct icmp6hdr *icmp6;
	struct ethhdr *eth;
	void *data_end;
	__u64 sum;

	/* Never shorter: IPv6 links carry 1280 bytes, so a packet too big for one is longer. */
	if (l3_length(pkt) < ICMP6_QUOTE)
		return XDP_ABORTED;
	if (make_room_for_answer(ctx, pkt, ICMP6_QUOTE, ICMP6_HEADERS, &old_eth))
		return XDP_ABORTED;
	eth = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	ip6 = (void *)(eth + 1);
	icmp6 = (void *)(ip6 + 1);
	quoted = (void *)(icmp6 + 1);
	if ((void *)quoted + ICMP6_QUOTE > data_end)
		return XDP_ABORTED;

	turn_around_ethernet(eth, &old_eth, bpf_htons(ETH_P_IPV6));
	*(__be32 *)ip6 = bpf_htonl(0x60000000); /* version 6, class 0, no flow label */
	ip6->payload_len = bpf_htons(sizeof(*icmp6) + ICMP6_QUOTE);
	ip6->nexthdr = IPPROTO_ICMPV6;
	ip6->hop_limit = ICMP_REPLY_TTL;
	ip6->saddr = quoted->daddr;
	ip6->daddr = quoted->saddr;
	*icmp6 = (struct icmp6hdr){ .icmp6_type = ICMPV6_PKT_TOOBIG };
	icmp6->icmp6_mtu = bpf_htonl(mtu);

	sum = csum_add_bytes(0, &ip6->saddr, 2 * sizeof(ip6->saddr));
	sum = csum_add_bytes(sum, pseudo_tail, sizeof(pseudo_tail));
	sum = csum_add_bytes(sum, icmp6, sizeof(*icmp6));
	sum = csum_add_bytes(sum, quoted, CSUM_CHUNK);
	sum = csum_add_bytes(sum, (void *)quoted + CSUM_CHUNK, CSUM_CHUNK);
	sum = csum_add_bytes(sum, (void *)quoted + 2 * CSUM_CHUNK, ICMP6_QUOTE - 2 * CSUM_CHUNK);
	icmp6->icmp6_cksum = csum_finish64(sum);
	return XDP_TX;
}

/*
 * Answers `pkt` (untouched so far, no VLAN tag) with the too-big error for
 * its family; `mtu` is the largest packet the client may send on this path.
 */
static __always_inline int answer_too_big(struct xdp_md *ctx, const struct packet *pkt, __u32 mtu,
					  __u32 service_id, __u32 backend_id)
{
	if (pkt->ip4 && !(pkt->ip4->frag_off & bpf_htons(IPV4_DONT_FRAGMENT)))
		return drop_for_backend(service_id, backend_id, CNT_DROP_TOO_BIG_NO_DF,
					BACKEND_DROP_TOO_BIG_NO_DF);
	if (!take_too_big_answer())
		return drop_for_backend(service_id, backend_id, CNT_DROP_TOO_BIG_RATE,
					BACKEND_DROP_TOO_BIG_RATE);
	count_event(CNT_TUNNEL_TOO_BIG);
	count_service_drop(service_id);
	count_backend_drop(backend_id, BACKEND_DROP_TOO_BIG);
	if (pkt->ip4)
		return answer_too_big_v4(ctx, pkt, mtu);
	return answer_too_big_v6(ctx, pkt, mtu);
}

#endif /* SLUICE_TOO_BIG_H */
