/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The backend side of the tunnel modes: structs, enums and limits shared by
 * the decapsulation program (bpf/src/decap.bpf.c) and the agent's
 * backend-host command. Decap-only: the balancer's program never reads them.
 * The TypeScript layout (packages/dataplane/src/generated/decap-layout.ts) is
 * generated from the compiled object's BTF (`pnpm gen:layout`).
 */
#ifndef SLUICE_DECAP_H
#define SLUICE_DECAP_H

#include <linux/types.h>

/*
 * Tunnel endpoint addresses of one host: the backend addresses balancers
 * send IPIP/GUE to (its real address, per family). A handful per host; the
 * bound keeps a mistaken fill small.
 */
#ifndef DECAP_MAX_ADDRESSES
#define DECAP_MAX_ADDRESSES 64
#endif

/*
 * What became of each packet, one per-CPU counter slot each: exactly one
 * per packet, so they add up to every packet the program saw.
 */
enum sluice_decap_counter {
	/* Stripped and handed to the stack, per kind. */
	DECAP_CNT_IPIP = 0, /* IPv4 in IPv4 (protocol 4) */
	DECAP_CNT_IP6IP6 = 1, /* IPv6 in IPv6 (next header 41) */
	DECAP_CNT_GUE_IPV4 = 2, /* GUE variant 1 over UDP/IPv4 (inner IPv4 or IPv6) */
	DECAP_CNT_GUE_IPV6 = 3, /* GUE variant 1 over UDP/IPv6 (inner IPv4 or IPv6) */
	/* Passed untouched: the stack handles them as it would without the program. */
	DECAP_CNT_PASS_NOT_IP =
		4, /* not IPv4/IPv6 on untagged Ethernet, or a truncated outer header */
	DECAP_CNT_PASS_FRAGMENT =
		5, /* outer IPv4 MF/offset, or an IPv6 fragment header: reassembled by the stack */
	DECAP_CNT_PASS_IP_OPTIONS =
		6, /* outer IPv4 options, or an IPv6 extension header before the tunnel */
	DECAP_CNT_PASS_NOT_TUNNEL =
		7, /* neither IPIP/IP6IP6 nor UDP to the GUE port: ordinary traffic */
	DECAP_CNT_PASS_NOT_FOR_ME =
		8, /* a tunnel to an address that is not one of decap_addresses */
	/* Dropped: addressed to this host as a tunnel, but nothing the stack could use. */
	DECAP_CNT_DROP_TRUNCATED_INNER = 9, /* the frame ends inside the inner IP header */
	DECAP_CNT_DROP_BAD_INNER =
		10, /* inner version not the tunnel's (or GUE variant 0), inner IPv4 IHL < 5 */
	DECAP_CNT_DROP_STRIP_FAILED = 11, /* the kernel refused to remove the outer headers */
	DECAP_CNT_MAX = 12,
};

/* A tunnel endpoint address of this host. IPv4 uses addr[0], the rest is zero. */
struct decap_address_key {
	__be32 addr[4];
	__u8 family; /* enum sluice_family: 4 or 6 */
	__u8 pad[3]; /* always zero: part of the hashed key */
};

/* One entry, written by the agent. */
struct decap_settings {
	__be16 gue_port; /* GUE destination port, network order; 0: GUE off (UDP passes as not-tunnel) */
	__u16 pad; /* always zero */
};

#endif /* SLUICE_DECAP_H */
