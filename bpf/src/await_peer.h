/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * A flow the sync peer may have started a moment ago. In a split brain or a
 * switchover the client's and the backends' ARP entries flip between the two
 * nodes, so a connection whose SYN one node steered can send its next packet
 * to the other within a round trip: before the first node's flow event
 * (about 1 ms) has arrived. Steered here, a round-robin or least-connections
 * service would pick another backend, which resets the connection. Dropped,
 * the packet is retransmitted (TCP's minimum RTO is 200 ms) and finds the
 * flow the peer sent meanwhile. A consistent hash picks the peer's backend
 * anyway and is not held.
 */
#ifndef SLUICE_AWAIT_PEER_H
#define SLUICE_AWAIT_PEER_H

#include "flow.h"
#include "maps.h"
#include "packet.h"
#include "tunables.h"

/*
 * Whether to drop this flowless packet while the peer's event may be on the
 * way: only within AWAIT_PEER_FLOW_NS of its flow's first miss, so a flow no
 * node knows (evicted, expired, the dead master's last) is then steered anew.
 */
static __always_inline int awaits_peer_flow(const struct packet *pkt,
					    const struct service_config *service, __u64 now)
{
	__u64 *first_miss;

	if (!flow_events_on || may_open_flow(pkt) || is_consistent_hash(service))
		return 0;
	first_miss = bpf_map_lookup_elem(&awaited_flows, &pkt->key);
	if (!first_miss) {
		bpf_map_update_elem(&awaited_flows, &pkt->key, &now, BPF_NOEXIST);
		return 1;
	}
	return now - *first_miss < AWAIT_PEER_FLOW_NS;
}

#endif /* SLUICE_AWAIT_PEER_H */
