/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Fills a struct packet from the frame. Returns CONTINUE_PROCESSING for a
 * well-formed TCP/UDP packet, else the final action (counted by reason):
 *   not IP / short Ethernet            -> PASS  (not ours)
 *   bad IP header (version, IHL, length) -> DROP  malformed
 *   fragment / IP options / other L4 / truncated L4 / IPv6 UDP checksum 0
 *                                      -> DROP if aimed at a VIP, else PASS
 */
#ifndef SLUICE_PARSE_PACKET_H
#define SLUICE_PARSE_PACKET_H

#include "parse.h"
#include "packet.h"
#include "services.h"

#define IPV4_MORE_FRAGMENTS 0x2000
#define IPV4_FRAGMENT_OFFSET 0x1fff
#define IPV4_HEADER_WORDS 5 /* IHL of a header without options */

static __always_inline int is_l4_balanced(__u8 protocol)
{
	return protocol == IPPROTO_TCP || protocol == IPPROTO_UDP;
}

static __always_inline int parse_ipv4(struct header_cursor *cursor, struct packet *pkt,
				      void **l3_end)
{
	struct iphdr *ip = cursor->pos;
	__u32 total_length;

	if ((void *)(ip + 1) > pkt->data_end)
		return drop_for(CNT_DROP_MALFORMED);
	total_length = bpf_ntohs(ip->tot_len);
	if (ip->version != 4 || ip->ihl < IPV4_HEADER_WORDS || total_length < ip->ihl * 4 ||
	    (void *)ip + total_length > pkt->data_end)
		return drop_for(CNT_DROP_MALFORMED);

	pkt->ip4 = ip;
	pkt->key.family = FAMILY_IPV4;
	pkt->key.protocol = ip->protocol;
	pkt->key.src[0] = ip->saddr;
	pkt->key.dst[0] = ip->daddr;

	if (ip->frag_off & bpf_htons(IPV4_MORE_FRAGMENTS | IPV4_FRAGMENT_OFFSET))
		return refuse_if_vip(&pkt->key, CNT_DROP_FRAGMENT);
	if (ip->ihl != IPV4_HEADER_WORDS)
		return refuse_if_vip(&pkt->key, CNT_DROP_IP_OPTIONS);
	if (!is_l4_balanced(ip->protocol))
		return refuse_if_vip(&pkt->key, CNT_DROP_UNKNOWN_PROTOCOL);

	cursor->pos = ip + 1;
	*l3_end = (void *)ip + total_length;
	return CONTINUE_PROCESSING;
}

static __always_inline int is_ipv6_extension(__u8 next_header)
{
	switch (next_header) {
	case IPPROTO_HOPOPTS:
	case IPPROTO_ROUTING:
	case IPPROTO_DSTOPTS:
	case IPPROTO_AH:
	case IPPROTO_ESP:
	case IPPROTO_MH:
		return 1;
	}
	return 0;
}

static __always_inline int parse_ipv6(struct header_cursor *cursor, struct packet *pkt,
				      void **l3_end)
{
	struct ipv6hdr *ip6 = cursor->pos;
	void *payload;

	if ((void *)(ip6 + 1) > pkt->data_end)
		return drop_for(CNT_DROP_MALFORMED);
	payload = ip6 + 1;
	if (ip6->version != 6 || payload + bpf_ntohs(ip6->payload_len) > pkt->data_end)
		return drop_for(CNT_DROP_MALFORMED);

	pkt->ip6 = ip6;
	pkt->key.family = FAMILY_IPV6;
	pkt->key.protocol = ip6->nexthdr;
	__builtin_memcpy(pkt->key.src, &ip6->saddr, sizeof(pkt->key.src));
	__builtin_memcpy(pkt->key.dst, &ip6->daddr, sizeof(pkt->key.dst));

	if (ip6->nexthdr == IPPROTO_FRAGMENT)
		return refuse_if_vip(&pkt->key, CNT_DROP_FRAGMENT);
	if (is_ipv6_extension(ip6->nexthdr))
		return refuse_if_vip(&pkt->key, CNT_DROP_IP_OPTIONS);
	if (!is_l4_balanced(ip6->nexthdr))
		return refuse_if_vip(&pkt->key, CNT_DROP_UNKNOWN_PROTOCOL);

	cursor->pos = payload;
	*l3_end = payload + bpf_ntohs(ip6->payload_len);
	return CONTINUE_PROCESSING;
}

static __always_inline int parse_tcp(struct header_cursor *cursor, struct packet *pkt, void *l3_end)
{
	struct tcphdr *tcp = cursor->pos;

	if ((void *)(tcp + 1) > pkt->data_end || (void *)(tcp + 1) > l3_end ||
	    tcp->doff < sizeof(*tcp) / 4 || (void *)tcp + tcp->doff * 4 > l3_end)
		return refuse_if_vip(&pkt->key, CNT_DROP_MALFORMED);
	pkt->l4_ports = &tcp->source;
	pkt->l4_check = &tcp->check;
	pkt->tcp_flags = ((__u8 *)tcp)[TCP_FLAGS_OFFSET];
	pkt->tcp_seq = tcp->seq;
	return CONTINUE_PROCESSING;
}

static __always_inline int parse_udp(struct header_cursor *cursor, struct packet *pkt, void *l3_end)
{
	struct udphdr *udp = cursor->pos;

	if ((void *)(udp + 1) > pkt->data_end || (void *)(udp + 1) > l3_end ||
	    bpf_ntohs(udp->len) < sizeof(*udp) || (void *)udp + bpf_ntohs(udp->len) > l3_end)
		return refuse_if_vip(&pkt->key, CNT_DROP_MALFORMED);
	if (udp->check == 0) {
		/* RFC 8200: IPv6 receivers discard UDP without a checksum. */
		if (pkt->key.family == FAMILY_IPV6)
			return refuse_if_vip(&pkt->key, CNT_DROP_BAD_CHECKSUM);
		pkt->udp_check_absent = 1;
	}
	pkt->l4_ports = &udp->source;
	pkt->l4_check = &udp->check;
	return CONTINUE_PROCESSING;
}

static __always_inline int parse_packet(struct xdp_md *ctx, struct packet *pkt)
{
	struct header_cursor cursor = { .pos = (void *)(long)ctx->data };
	void *l3_end = NULL;
	int ethertype, verdict;

	pkt->data_end = (void *)(long)ctx->data_end;
	pkt->frame_len = ctx->data_end - ctx->data;

	ethertype = parse_ethernet(&cursor, pkt->data_end, &pkt->eth);
	if (ethertype < 0)
		return pass_for(CNT_PASS_NOT_ETHERNET_IP);
	pkt->vlan_tagged = cursor.pos != (void *)(pkt->eth + 1);

	if (ethertype == bpf_htons(ETH_P_IP))
		verdict = parse_ipv4(&cursor, pkt, &l3_end);
	else if (ethertype == bpf_htons(ETH_P_IPV6))
		verdict = parse_ipv6(&cursor, pkt, &l3_end);
	else
		return pass_for(CNT_PASS_NOT_ETHERNET_IP);
	if (verdict != CONTINUE_PROCESSING)
		return verdict;

	if (pkt->key.protocol == IPPROTO_TCP)
		verdict = parse_tcp(&cursor, pkt, l3_end);
	else
		verdict = parse_udp(&cursor, pkt, l3_end);
	if (verdict != CONTINUE_PROCESSING)
		return verdict;

	pkt->key.src_port = pkt->l4_ports[0];
	pkt->key.dst_port = pkt->l4_ports[1];
	return CONTINUE_PROCESSING;
}

#endif /* SLUICE_PARSE_PACKET_H */
