/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Connection tracking. A flow is one entry keyed by its client -> VIP tuple,
 * holding its backend, TCP state and counters of both directions. A reply
 * (backend -> client) finds it through the backend endpoint's services: one
 * insert per new flow, one entry per flow in the table. Flows keep their
 * backend until it is down or removed; a TCP SYN on a finished flow starts anew.
 */
#ifndef SLUICE_FLOW_H
#define SLUICE_FLOW_H

#include "counters.h"
#include "packet.h"
#include "select.h"

static __always_inline void add_active(__u32 backend_id)
{
	__u64 *active = bpf_map_lookup_elem(&backend_active, &backend_id);

	if (active)
		__sync_fetch_and_add(active, 1);
}

static __always_inline void remove_active(__u32 backend_id)
{
	__u64 *active = bpf_map_lookup_elem(&backend_active, &backend_id);

	/* The agent zeroes the count of a removed backend: never wrap below 0. */
	if (active && *active > 0)
		__sync_fetch_and_sub(active, 1);
}

/* Marks a flow closed exactly once, even if both sides race to close it. */
static __always_inline void close_flow(struct flow_value *flow)
{
	if (__sync_lock_test_and_set(&flow->tcp_state, TCP_STATE_CLOSED) != TCP_STATE_CLOSED) {
		remove_active(flow->backend_id);
		count_event(CNT_FLOW_CLOSED);
	}
}

/* Applies one side's TCP flags to the forward entry. */
static __always_inline void track_tcp(struct flow_value *flow, __u8 tcp_flags, __u32 my_fin,
				      __u32 other_fin)
{
	if (tcp_flags & TCP_FLAG_RST) {
		close_flow(flow);
		return;
	}
	if (tcp_flags & TCP_FLAG_FIN) {
		if (__sync_fetch_and_or(&flow->flags, my_fin) & other_fin)
			close_flow(flow);
		else
			__sync_val_compare_and_swap(&flow->tcp_state, TCP_STATE_ESTABLISHED,
						    TCP_STATE_FIN_WAIT);
		return;
	}
	/* Read first: a locked compare-and-swap on every ACK would bounce the cache line. */
	if ((tcp_flags & TCP_FLAG_ACK) && flow->tcp_state == TCP_STATE_SYN_SENT)
		__sync_val_compare_and_swap(&flow->tcp_state, TCP_STATE_SYN_SENT,
					    TCP_STATE_ESTABLISHED);
}

/*
 * The SYN that opened the flow's current connection, sent again (same
 * sequence number): a retransmission, never a new connection. A backend
 * holding the client's address and port in TIME_WAIT (from a connection to
 * another VIP it also serves) may answer the first SYN with a bare ACK; the
 * client resets and retries the same SYN at once. That retry must reach the
 * same backend (whose TIME_WAIT the reset has ended) and take no new
 * round-robin turn, or the exact rotation shifts by one.
 */
static __always_inline int is_opening_syn_again(const struct flow_value *flow,
						const struct packet *pkt)
{
	return is_tcp_open(pkt) && (flow->flags & FLOW_F_SYN_SEQ) && flow->syn_seq == pkt->tcp_seq;
}

/* A connection attempt that was reset during its handshake, retried: open again, same backend. */
static __always_inline void resume_handshake(struct flow_value *flow)
{
	if (__sync_val_compare_and_swap(&flow->tcp_state, TCP_STATE_CLOSED, TCP_STATE_SYN_SENT) ==
	    TCP_STATE_CLOSED) {
		__sync_fetch_and_and(&flow->flags, FLOW_F_SYN_SEQ);
		add_active(flow->backend_id);
	}
}

static __always_inline __u32 initial_tcp_state(const struct packet *pkt)
{
	if (!is_tcp(pkt))
		return TCP_STATE_NONE;
	if (pkt->tcp_flags & TCP_FLAG_RST)
		return TCP_STATE_CLOSED;
	if (is_tcp_open(pkt))
		return TCP_STATE_SYN_SENT;
	/* Mid-stream packet of a flow we lost (evicted): carry it on. */
	if (pkt->tcp_flags & TCP_FLAG_FIN)
		return TCP_STATE_FIN_WAIT;
	return TCP_STATE_ESTABLISHED;
}

/* Whether the packet's source may be a backend endpoint: one bit, most packets stop here. */
static __always_inline int may_be_reply(const struct packet *pkt)
{
	__u32 bit = endpoint_filter_bit(pkt->key.src, pkt->key.src_port, pkt->key.protocol);
	__u32 word = bit / 64;
	__u64 *filter = bpf_map_lookup_elem(&endpoint_filter, &word);

	return filter && (*filter & (1ULL << (bit % 64)));
}

/*
 * Of two flows of one client port on one backend endpoint, the one a reply
 * belongs to: an open one before a closed one, then the newer (created_ns
 * is the coarse clock, so two flows opened within a tick tie).
 */
static __always_inline int is_live_rather_than(const struct flow_value *flow,
					       const struct flow_value *other)
{
	int open = flow->tcp_state != TCP_STATE_CLOSED;
	int other_open = other->tcp_state != TCP_STATE_CLOSED;

	if (open != other_open)
		return open;
	return flow->created_ns > other->created_ns;
}

/*
 * The flow a reply (backend -> client) belongs to, and the VIP to restore:
 * the forward tuple is client -> VIP of one of the services the sending
 * endpoint serves, and that flow must be on this very backend. NULL when
 * the packet is no reply of ours. When the endpoint serves several services
 * and the client used the same port towards more than one of them (a port
 * reused after a closed connection), the live one is the reply's: the
 * backend sees one connection per client address and port.
 */
static __always_inline struct flow_value *lookup_reply_flow(const struct packet *pkt,
							      struct service_key **vip_out)
{
	struct service_key endpoint = {
		.port = pkt->key.src_port,
		.protocol = pkt->key.protocol,
		.family = pkt->key.family,
	};
	struct flow_key forward = {
		.src_port = pkt->key.dst_port,
		.protocol = pkt->key.protocol,
		.family = pkt->key.family,
	};
	struct flow_value *found = NULL;
	struct endpoint_owners *owners;

	__builtin_memcpy(endpoint.addr, pkt->key.src, sizeof(endpoint.addr));
	owners = bpf_map_lookup_elem(&backend_endpoints, &endpoint);
	if (!owners)
		return NULL;
	__builtin_memcpy(forward.src, pkt->key.dst, sizeof(forward.src));

#pragma unroll
	for (__u32 i = 0; i < MAX_SERVICES_PER_ENDPOINT; i++) {
		__u32 service_id = owners->service_ids[i];
		struct service_key *vip;
		struct flow_value *flow;

		if (i >= owners->count)
			break;
		vip = bpf_map_lookup_elem(&service_vips, &service_id);
		if (!vip || vip->family != pkt->key.family)
			continue;
		__builtin_memcpy(forward.dst, vip->addr, sizeof(forward.dst));
		forward.dst_port = vip->port;
		flow = bpf_map_lookup_elem(&flows, &forward);
		if (flow && flow->backend_id == owners->backend_ids[i] &&
		    (!found || is_live_rather_than(flow, found))) {
			found = flow;
			*vip_out = vip;
		}
	}
	return found;
}

/*
 * Chooses a backend for the packet's flow and records the flow.
 * Returns the backend, or NULL when the service has none to offer.
 */
static __always_inline struct backend *start_flow(struct packet *pkt,
						  const struct service_config *service, __u64 now,
						  __u32 *backend_id)
{
	struct flow_value flow = {
		.created_ns = now,
		.last_seen_ns = now,
		.packets = 1,
		.bytes = pkt->frame_len,
		.service_id = service->id,
		.tcp_state = initial_tcp_state(pkt),
		.flags = has_tcp_flag(pkt, TCP_FLAG_FIN) ? FLOW_F_FIN_CLIENT : 0,
	};

	if (is_tcp_open(pkt)) {
		flow.flags |= FLOW_F_SYN_SEQ;
		flow.syn_seq = pkt->tcp_seq;
	}
	struct backend *backend;

	flow.backend_id = choose_backend(service, &pkt->key, !is_tcp(pkt) || is_tcp_open(pkt));
	backend = lookup_usable_backend(flow.backend_id, service->id, pkt->key.family);
	if (!backend)
		return NULL;
	bpf_map_update_elem(&flows, &pkt->key, &flow, BPF_ANY);

	if (flow.tcp_state != TCP_STATE_CLOSED)
		add_active(flow.backend_id);
	*backend_id = flow.backend_id;
	return backend;
}

#endif /* SLUICE_FLOW_H */
