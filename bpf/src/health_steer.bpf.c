// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Health probes through the data path (as Katran's healthchecking program
 * does for its tunnels): a dsr/ipip/gue backend is healthy only if a packet
 * to the VIP, sent the way the balancer sends clients' packets, gets an
 * answer. Probing the backend's own address would call a backend up whose
 * VIP is missing from its loopback, or whose decapsulation is broken.
 *
 * TC egress on the balancer's interfaces. The agent connects to VIP:port
 * from a source port it reserved for the backend and wrote into
 * health_probes; such a packet (TCP, from that port, to that VIP:port) is
 *   dsr:  sent to the backend's MAC, IP packet untouched;
 *   ipip: put inside outer IPv4 (protocol 4) / IPv6 (next header 41);
 *   gue:  put inside outer IP + UDP to the GUE port (variant 1: no GUE
 *         header), UDP checksum 0 for both families (RFC 6935/6936 allow it
 *         for tunnels; Sluice's decapsulation program accepts it);
 * with the outer fields the balancer's own tunnel path writes (TTL 64, IPv4
 * DF, the inner TOS copied out), and redirected to the interface the FIB
 * names. The backend answers VIP:port -> the probe's source, straight to the
 * balancer's own address; the XDP program passes that (it is for no VIP) and
 * the probe's socket gets it.
 *
 * The probes of one backend are one flow to the fabric, so the entropy the
 * balancer draws from the flow hash comes from the probe port instead: the
 * IPv6 flow label is the port, the GUE source port 49152 + its low 14 bits.
 * The outer source has no hash bits: one address the fabric routes back.
 *
 * A probe that cannot be steered is dropped, never passed: unsteered, it
 * would reach the VIP through the balancer itself and report on whichever
 * backend the balancer picked.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "sluice_shared.h"
#include "sluice_health.h"
#include "csum.h"

#define AF_INET 2
#define AF_INET6 10
#define HEALTH_TTL 64
#define HEALTH_IP_DF 0x4000
#define HEALTH_FLOW_LABEL_MASK 0xfffff
/* The balancer's GUE source port range (tunnel.h): 49152..65535, never 0. */
#define HEALTH_GUE_PORT_BASE 49152
#define HEALTH_GUE_PORT_MASK 0x3fff
/* Ethernet, IPv6, TCP: the longest headers the program reads. */
#define HEALTH_PARSE_LEN (14 + 40 + 20)

/* Source port of a probe socket -> where its packets go; written only by the agent's health checker. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, HEALTH_MAX_PROBES);
	__type(key, struct health_probe_key);
	__type(value, struct health_probe);
} health_probes SEC(".maps");

/* enum sluice_health_counter -> packets, per CPU: plain adds, userspace sums the CPUs. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, HEALTH_CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} health_counters SEC(".maps");

static __always_inline int count(__u32 outcome, int action)
{
	__u64 *value = bpf_map_lookup_elem(&health_counters, &outcome);

	if (value)
		*value += 1;
	return action;
}

/* The probe as parsed: its entry, its L3 length and TOS. */
struct probe_packet {
	const struct health_probe *probe;
	__be32 source[4];
	__u32 l3_len;
	__be16 port; /* the probe's source port */
	__u8 tos;
};

static __always_inline int same_address(const __be32 *a, const __be32 *b, int ipv4)
{
	if (ipv4)
		return a[0] == b[0];
	return a[0] == b[0] && a[1] == b[1] && a[2] == b[2] && a[3] == b[3];
}

/* The probe entry of a TCP packet from a probe port to its VIP:port; NULL for anything else. */
static __always_inline const struct health_probe *find_probe(const struct tcphdr *tcp,
							     const __be32 *dst, int ipv4)
{
	struct health_probe_key key = { .source_port = tcp->source };
	const struct health_probe *probe = bpf_map_lookup_elem(&health_probes, &key);

	if (!probe || probe->family != (ipv4 ? FAMILY_IPV4 : FAMILY_IPV6) ||
	    probe->vip_port != tcp->dest || !same_address(probe->vip, dst, ipv4))
		return NULL;
	return probe;
}

static __always_inline int parse_probe(struct __sk_buff *skb, struct probe_packet *out)
{
	void *data = (void *)(long)skb->data, *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct tcphdr *tcp;

	if ((void *)(eth + 1) > data_end)
		return -1;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > data_end || ip->ihl < 5 || ip->protocol != IPPROTO_TCP ||
		    (ip->frag_off & bpf_htons(0x1fff)))
			return -1;
		tcp = (void *)ip + ip->ihl * 4;
		if ((void *)(tcp + 1) > data_end)
			return -1;
		out->probe = find_probe(tcp, &ip->daddr, 1);
		out->source[0] = ip->saddr;
		out->l3_len = bpf_ntohs(ip->tot_len);
		out->tos = ip->tos;
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > data_end || ip6->nexthdr != IPPROTO_TCP)
			return -1;
		tcp = (void *)(ip6 + 1);
		if ((void *)(tcp + 1) > data_end)
			return -1;
		out->probe = find_probe(tcp, ip6->daddr.in6_u.u6_addr32, 0);
		__builtin_memcpy(out->source, ip6->saddr.in6_u.u6_addr32, sizeof(out->source));
		out->l3_len = sizeof(*ip6) + bpf_ntohs(ip6->payload_len);
		out->tos = (bpf_ntohl(*(__be32 *)ip6) >> 20) & 0xff;
	} else {
		return -1;
	}
	out->port = tcp->source;
	return out->probe ? 0 : -1;
}

static __always_inline int is_tunnel(__u8 mode)
{
	return mode == MODE_IPIP || mode == MODE_GUE;
}

static __always_inline __u32 overhead_of(const struct health_probe *probe)
{
	return (probe->family == FAMILY_IPV4 ? sizeof(struct iphdr) : sizeof(struct ipv6hdr)) +
	       (probe->mode == MODE_GUE ? sizeof(struct udphdr) : 0);
}

/*
 * The FIB query toward the backend: for dsr the probe as it is (from its own
 * source), for a tunnel the outer packet (from the tunnel source, its full
 * length), as the balancer's program asks.
 */
static __always_inline long lookup_next_hop(struct __sk_buff *skb, const struct probe_packet *pkt,
					    struct bpf_fib_lookup *fib)
{
	const struct health_probe *probe = pkt->probe;
	const __be32 *source = is_tunnel(probe->mode) ? probe->outer_source : pkt->source;

	fib->ifindex = skb->ifindex;
	fib->tot_len = pkt->l3_len + (is_tunnel(probe->mode) ? overhead_of(probe) : 0);
	fib->tos = pkt->tos;
	if (probe->family == FAMILY_IPV4) {
		fib->family = AF_INET;
		fib->ipv4_src = source[0];
		fib->ipv4_dst = probe->backend[0];
	} else {
		fib->family = AF_INET6;
		__builtin_memcpy(fib->ipv6_src, source, sizeof(fib->ipv6_src));
		__builtin_memcpy(fib->ipv6_dst, probe->backend, sizeof(fib->ipv6_dst));
	}
	return bpf_fib_lookup(skb, fib, sizeof(*fib), 0);
}

/* After a lookup: the next hop the FIB wrote back is the backend itself (no gateway). */
static __always_inline int next_hop_is_backend(const struct bpf_fib_lookup *fib,
					       const struct health_probe *probe)
{
	if (probe->family == FAMILY_IPV4)
		return fib->ipv4_dst == probe->backend[0];
	return same_address(fib->ipv6_dst, probe->backend, 0);
}

/* Outer headers, built whole on the stack and stored after the Ethernet header. */
struct outer_headers {
	union {
		struct iphdr ip4;
		struct ipv6hdr ip6;
	};
	struct udphdr udp; /* GUE only; directly after the outer IP header */
};

static __always_inline void build_outer(struct outer_headers *outer, const struct probe_packet *pkt)
{
	const struct health_probe *probe = pkt->probe;
	__u32 overhead = overhead_of(probe);
	__u32 ip_len = probe->family == FAMILY_IPV4 ? sizeof(struct iphdr) : sizeof(struct ipv6hdr);
	struct udphdr *udp = (void *)outer + ip_len;

	if (probe->family == FAMILY_IPV4) {
		outer->ip4 = (struct iphdr){
			.version = 4,
			.ihl = 5,
			.tos = pkt->tos,
			.tot_len = bpf_htons(pkt->l3_len + overhead),
			/* ID 0 with DF set (RFC 6864), as the balancer's tunnels. */
			.frag_off = bpf_htons(HEALTH_IP_DF),
			.ttl = HEALTH_TTL,
			.protocol = probe->mode == MODE_GUE ? IPPROTO_UDP : IPPROTO_IPIP,
			.saddr = probe->outer_source[0],
			.daddr = probe->backend[0],
		};
		outer->ip4.check = ipv4_header_checksum(&outer->ip4);
	} else {
		*(__be32 *)&outer->ip6 = bpf_htonl(0x60000000 | (__u32)pkt->tos << 20 |
						   (bpf_ntohs(pkt->port) & HEALTH_FLOW_LABEL_MASK));
		outer->ip6.payload_len = bpf_htons(pkt->l3_len + overhead - sizeof(struct ipv6hdr));
		outer->ip6.nexthdr = probe->mode == MODE_GUE ? IPPROTO_UDP : IPPROTO_IPV6;
		outer->ip6.hop_limit = HEALTH_TTL;
		__builtin_memcpy(&outer->ip6.saddr, probe->outer_source, sizeof(outer->ip6.saddr));
		__builtin_memcpy(&outer->ip6.daddr, probe->backend, sizeof(outer->ip6.daddr));
	}
	if (probe->mode == MODE_GUE) {
		udp->source = bpf_htons(HEALTH_GUE_PORT_BASE |
					(bpf_ntohs(pkt->port) & HEALTH_GUE_PORT_MASK));
		udp->dest = probe->gue_port;
		udp->len = bpf_htons(pkt->l3_len + sizeof(struct udphdr));
		udp->check = 0;
	}
}

/*
 * Makes room after the Ethernet header and writes the outer headers there.
 * The ENCAP flags mark the skb as encapsulated (inner header offsets kept),
 * so a checksum the stack still owes the probe is finished on the inner TCP
 * header at transmit; FIXED_GSO leaves any GSO size alone.
 */
static __always_inline int encapsulate(struct __sk_buff *skb, const struct probe_packet *pkt)
{
	const struct health_probe *probe = pkt->probe;
	struct outer_headers outer = {};
	__u64 flags = BPF_F_ADJ_ROOM_FIXED_GSO;
	__u32 overhead = overhead_of(probe);

	flags |= probe->family == FAMILY_IPV4 ? BPF_F_ADJ_ROOM_ENCAP_L3_IPV4 :
						BPF_F_ADJ_ROOM_ENCAP_L3_IPV6;
	if (probe->mode == MODE_GUE)
		flags |= BPF_F_ADJ_ROOM_ENCAP_L4_UDP;
	build_outer(&outer, pkt);
	if (bpf_skb_adjust_room(skb, overhead, BPF_ADJ_ROOM_MAC, flags))
		return -1;
	if (overhead > sizeof(outer))
		return -1;
	return bpf_skb_store_bytes(skb, sizeof(struct ethhdr), &outer, overhead, 0);
}

static __always_inline int write_macs(struct __sk_buff *skb, const struct bpf_fib_lookup *fib)
{
	__u8 macs[2 * ETH_ALEN];

	__builtin_memcpy(macs, fib->dmac, ETH_ALEN);
	__builtin_memcpy(macs + ETH_ALEN, fib->smac, ETH_ALEN);
	return bpf_skb_store_bytes(skb, 0, macs, sizeof(macs), 0);
}

SEC("tc")
int health_steer(struct __sk_buff *skb)
{
	struct probe_packet pkt = {};
	struct health_probe probe;
	struct bpf_fib_lookup fib = {};
	struct bpf_redir_neigh neighbour = {};
	__u32 linear = skb->data_end - skb->data;
	long verdict;

	/* Locally made probes are linear; pull anyway, so a paged header is never missed. */
	if (linear < HEALTH_PARSE_LEN && skb->len > linear)
		bpf_skb_pull_data(skb, skb->len < HEALTH_PARSE_LEN ? skb->len : HEALTH_PARSE_LEN);
	if (parse_probe(skb, &pkt))
		return count(HEALTH_CNT_PASS_NOT_PROBE, TC_ACT_OK);
	/* A copy: the entry may change under us, and the packet pointers die with the adjustment. */
	probe = *pkt.probe;
	pkt.probe = &probe;
	if (probe.mode != MODE_DSR && !is_tunnel(probe.mode))
		return count(HEALTH_CNT_DROP_BAD_ENTRY, TC_ACT_SHOT);
	if (probe.family != FAMILY_IPV4 && probe.family != FAMILY_IPV6)
		return count(HEALTH_CNT_DROP_BAD_ENTRY, TC_ACT_SHOT);

	verdict = lookup_next_hop(skb, &pkt, &fib);
	if (verdict == BPF_FIB_LKUP_RET_FRAG_NEEDED)
		return count(HEALTH_CNT_DROP_TOO_BIG, TC_ACT_SHOT);
	if (verdict != BPF_FIB_LKUP_RET_SUCCESS && verdict != BPF_FIB_LKUP_RET_NO_NEIGH)
		return count(HEALTH_CNT_DROP_NO_ROUTE, TC_ACT_SHOT);
	/* DSR reaches only an on-link backend: a gateway would route the VIP-addressed packet back here. */
	if (probe.mode == MODE_DSR && !next_hop_is_backend(&fib, &probe))
		return count(HEALTH_CNT_DROP_NO_ROUTE, TC_ACT_SHOT);

	if (is_tunnel(probe.mode) && encapsulate(skb, &pkt))
		return count(HEALTH_CNT_DROP_ENCAP_FAILED, TC_ACT_SHOT);

	if (verdict == BPF_FIB_LKUP_RET_NO_NEIGH) {
		/*
		 * The kernel resolves the next hop the FIB named and writes the MACs
		 * itself; the frame comes back through this program only once
		 * resolved (queued meanwhile), then with its MAC known.
		 */
		if (probe.family == FAMILY_IPV4) {
			neighbour.nh_family = AF_INET;
			neighbour.ipv4_nh = fib.ipv4_dst;
		} else {
			neighbour.nh_family = AF_INET6;
			__builtin_memcpy(neighbour.ipv6_nh, fib.ipv6_dst,
					 sizeof(neighbour.ipv6_nh));
		}
		count(HEALTH_CNT_RESOLVING, 0);
		return bpf_redirect_neigh(fib.ifindex, &neighbour, sizeof(neighbour), 0);
	}
	if (write_macs(skb, &fib))
		return count(HEALTH_CNT_DROP_ENCAP_FAILED, TC_ACT_SHOT);
	count(probe.mode == MODE_DSR  ? HEALTH_CNT_DSR :
	      probe.mode == MODE_IPIP ? HEALTH_CNT_IPIP :
					HEALTH_CNT_GUE,
	      0);
	/*
	 * Already leaving through the next hop's interface: on its way. This is
	 * also how a dsr probe redirected here meets the program a second time
	 * (on this interface's egress, still a probe): redirecting it again
	 * would loop until the kernel's recursion limit drops it.
	 */
	if (fib.ifindex == skb->ifindex)
		return TC_ACT_OK;
	return bpf_redirect(fib.ifindex, 0);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
