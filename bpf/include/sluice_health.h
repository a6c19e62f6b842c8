/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Health probes through the data path (bpf/src/health_steer.bpf.c): the
 * structs and enums the steering program shares with the agent's health
 * checker. The TypeScript layout (packages/dataplane/src/generated/
 * health-layout.ts) is generated from the compiled object's BTF
 * (`pnpm gen:layout`).
 *
 * The agent probes a dsr/ipip/gue backend by connecting to the service's
 * VIP:port from a local source port reserved for that backend; the program,
 * on the balancer's egress, finds the port in health_probes and sends the
 * probe the way the data plane sends a client's packet to that backend.
 */
#ifndef SLUICE_HEALTH_H
#define SLUICE_HEALTH_H

#include <linux/types.h>

/* One probe port per backend under check: as many as the balancer has backends. */
#ifndef HEALTH_MAX_PROBES
#define HEALTH_MAX_PROBES 4096
#endif

/* The probe socket's local port, network order. */
struct health_probe_key {
	__be16 source_port;
	__u16 pad; /* always zero: part of the hashed key */
};

/* Where a probe goes and how; written whole by the agent before it connects. */
struct health_probe {
	__be32 vip[4]; /* the probe's destination (IPv4: vip[0]); any other destination passes */
	__be32 backend
		[4]; /* the backend's own address: the DSR next hop, the tunnel's outer destination */
	__be32 outer_source[4]; /* ipip/gue: the balancer's tunnel source (tunnel_settings) */
	__be16 vip_port; /* the service's port, network order */
	__be16 gue_port; /* gue: the outer UDP destination, network order */
	__u8 family; /* enum sluice_family of the VIP, the backend and the outer header alike */
	__u8 mode; /* enum sluice_forwarding_mode: MODE_DSR, MODE_IPIP or MODE_GUE */
	__u8 pad[2]; /* always zero */
};

/* What became of each packet the program saw: exactly one per packet. */
enum sluice_health_counter {
	/* Sent on toward the backend, per mode. */
	HEALTH_CNT_DSR = 0,
	HEALTH_CNT_IPIP = 1,
	HEALTH_CNT_GUE = 2,
	/* The next hop had no MAC yet: handed to the kernel's neighbour code (bpf_redirect_neigh). */
	HEALTH_CNT_RESOLVING = 3,
	/* Not a probe (not TCP from a probe port to its VIP): untouched. */
	HEALTH_CNT_PASS_NOT_PROBE = 4,
	/*
	 * Dropped probes: sending them on unsteered would reach the VIP through
	 * the balancer itself and report some other backend's health.
	 */
	HEALTH_CNT_DROP_NO_ROUTE = 5, /* no route to the backend, or a dsr backend not on-link */
	HEALTH_CNT_DROP_TOO_BIG = 6, /* the probe plus outer headers exceeds the path MTU */
	HEALTH_CNT_DROP_BAD_ENTRY = 7, /* a mode or family the program does not steer */
	HEALTH_CNT_DROP_ENCAP_FAILED =
		8, /* the kernel refused to make room for the outer headers */
	HEALTH_CNT_MAX = 9,
};

#endif /* SLUICE_HEALTH_H */
