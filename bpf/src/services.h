/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Matching a packet's destination against VIPs and services. */
#ifndef SLUICE_SERVICES_H
#define SLUICE_SERVICES_H

#include "maps.h"
#include "packet.h"
#include "counters.h"
#include "hash.h"

/* Whether the destination may be a VIP: one array read; a clear bit means certainly not. */
static __always_inline int may_be_vip(const struct flow_key *key)
{
	__u32 bit = vip_filter_bit(key->dst);
	__u32 word = bit / 64;
	__u64 *filter = bpf_map_lookup_elem(&vip_filter, &word);

	return filter && (*filter & (1ULL << (bit % 64)));
}

static __always_inline int is_vip(const struct flow_key *key)
{
	struct vip_key vip = { .family = key->family };

	__builtin_memcpy(vip.addr, key->dst, sizeof(vip.addr));
	return bpf_map_lookup_elem(&vips, &vip) != NULL;
}

static __always_inline struct service_config *lookup_service(const struct flow_key *key)
{
	struct service_key service = {
		.port = key->dst_port,
		.protocol = key->protocol,
		.family = key->family,
	};

	__builtin_memcpy(service.addr, key->dst, sizeof(service.addr));
	return bpf_map_lookup_elem(&services, &service);
}

/*
 * A packet we will not balance (fragment, options, other protocol, bad header):
 * dropped and counted if it is aimed at a VIP, otherwise left to the kernel.
 */
static __always_inline int refuse_if_vip(const struct flow_key *key, __u32 reason)
{
	if (is_vip(key))
		return drop_for(reason);
	return pass_for(CNT_PASS_NOT_SERVICE);
}

#endif /* SLUICE_SERVICES_H */
