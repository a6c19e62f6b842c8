/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* A parsed packet: where its headers are and the flow it belongs to. */
#ifndef SLUICE_PACKET_H
#define SLUICE_PACKET_H

#include "parse.h"
#include "sluice_shared.h"

/* Returned by steps that did not reach a final XDP action. */
#define CONTINUE_PROCESSING -1

#define TCP_FLAG_FIN 0x01
#define TCP_FLAG_SYN 0x02
#define TCP_FLAG_RST 0x04
#define TCP_FLAG_ACK 0x10

/* Byte offset of the flags byte in a TCP header (after the data offset). */
#define TCP_FLAGS_OFFSET 13

/*
 * What a packet is, without where it lies: plain values, which a global
 * function (steer_flow_once, half_open_reply_owner) can take. The verifier
 * checks such a function once, but turns every pointer in memory it is
 * handed into a plain number, in the caller too; so struct packet begins
 * with these and keeps its pointers after.
 */
struct packet_facts {
	struct flow_key key;
	__u32 frame_len;
	__be32 tcp_seq;
	__u8 tcp_flags;
	__u8 vlan_tagged;
	__u8 udp_check_absent; /* IPv4 UDP with checksum 0: stays 0 */
};

struct packet {
	struct packet_facts; /* first, unnamed (-fms-extensions): pkt->key as before */
	void *data_end;
	struct ethhdr *eth;
	struct iphdr *ip4; /* one of ip4 / ip6 is set */
	struct ipv6hdr *ip6;
	__be16 *l4_ports; /* source port, then destination port */
	__sum16 *l4_check;
};

/* Whether two addresses in the maps' form (four words; IPv4 in the first, the rest zero) are one. */
static __always_inline int same_address(const __be32 *a, const __be32 *b)
{
	return a[0] == b[0] && a[1] == b[1] && a[2] == b[2] && a[3] == b[3];
}

static __always_inline int is_tcp(const struct packet *pkt)
{
	return pkt->key.protocol == IPPROTO_TCP;
}

static __always_inline int has_tcp_flag(const struct packet *pkt, __u8 flag)
{
	return is_tcp(pkt) && (pkt->tcp_flags & flag);
}

/* A SYN without ACK: the client opens a (possibly new) connection. */
static __always_inline int is_tcp_open(const struct packet *pkt)
{
	return is_tcp(pkt) && (pkt->tcp_flags & (TCP_FLAG_SYN | TCP_FLAG_ACK)) == TCP_FLAG_SYN;
}

/*
 * A packet that may start a flow: a UDP datagram, or a TCP SYN. Any other TCP
 * packet without a flow is mid-stream: its flow was evicted, or is still on
 * its way (an upgrade's copy, the sync peer's event).
 */
static __always_inline int may_open_flow(const struct packet *pkt)
{
	return !is_tcp(pkt) || is_tcp_open(pkt);
}

#endif /* SLUICE_PACKET_H */
