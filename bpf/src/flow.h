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
#include "flow_events.h"
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
		/* The FIN flags go; the SYN's sequence and the flow's mode stay. */
		__sync_fetch_and_and(&flow->flags, FLOW_F_SYN_SEQ | FLOW_F_MODE_MASK);
		add_active(flow->backend_id);
	}
}

/* The enum sluice_forwarding_mode a flow was steered with: its packets keep it until it ends. */
static __always_inline __u32 flow_mode(const struct flow_value *flow)
{
	return (flow->flags & FLOW_F_MODE_MASK) >> FLOW_F_MODE_SHIFT;
}

/* A service's mode for a new flow, as a flow records it (two bits: an unknown value cannot spill). */
static __always_inline __u32 service_mode(const struct service_config *service)
{
	return ((__u32)service->mode << FLOW_F_MODE_SHIFT & FLOW_F_MODE_MASK) >> FLOW_F_MODE_SHIFT;
}

/*
 * In the bypass modes (dsr, ipip, gue) the backend answers the client
 * directly, so the balancer sees the client's packets only: a flow opens on
 * the SYN, is established by the client's next packet, ends on an RST, and
 * a client's FIN leaves it in FIN_WAIT (the backend's FIN never passes here)
 * until the fin_wait idle timeout ends it, as IPVS does in DR and tunnel
 * modes. Its backend's active count is then an estimate.
 */
static __always_inline int is_bypass_mode(__u32 mode)
{
	return mode != MODE_NAT;
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

/*
 * Idle expiry: a flow idle past its protocol/state timeout is gone, whether
 * or not the agent's GC has run (an agent down for minutes must not leave a
 * reused tuple on an old flow's backend forever). Cost per packet that finds
 * a flow: one lookup in a one-entry array (the verifier inlines it to an
 * address computation) and a few compares; no loop.
 */
static __always_inline const struct expiry_settings *lookup_expiry_settings(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&expiry_settings, &zero);
}

/* The timeouts.ts table: TCP by state (anything unknown as established), UDP one value. */
static __always_inline __u64 flow_timeout_ns(const struct expiry_settings *timeouts, __u8 protocol,
					     __u32 tcp_state)
{
	if (protocol != IPPROTO_TCP)
		return timeouts->udp_ns;
	switch (tcp_state) {
	case TCP_STATE_SYN_SENT:
		return timeouts->tcp_syn_sent_ns;
	case TCP_STATE_FIN_WAIT:
		return timeouts->tcp_fin_wait_ns;
	case TCP_STATE_CLOSED:
		return timeouts->tcp_closed_ns;
	default:
		return timeouts->tcp_established_ns;
	}
}

/* Idle for its timeout or longer (the GC's rule); never without timeouts or with a zero one. */
static __always_inline int is_flow_expired(const struct expiry_settings *timeouts,
					   const struct flow_value *flow, __u8 protocol, __u64 now)
{
	__u64 last_seen = flow->last_seen_ns;
	__u64 timeout;

	if (!timeouts)
		return 0;
	timeout = flow_timeout_ns(timeouts, protocol, flow->tcp_state);
	/* Another CPU may have stamped a coarse time later than our `now`. */
	return timeout && now > last_seen && now - last_seen >= timeout;
}

/*
 * Ends an expired flow: deletes its entry and, if its connection was open,
 * takes it off its backend's count. The agent's GC deletes idle entries too
 * (with lookup-and-delete) and counts only what its own delete removed: the
 * map's bucket lock lets exactly one delete of an entry succeed, so one of
 * the two counts the flow, never both. The state and backend are read before
 * the delete: an LRU entry's memory may be reused by an insert right after.
 */
static __always_inline void expire_flow(void *table, const struct flow_key *key,
					const struct flow_value *flow)
{
	__u32 tcp_state = flow->tcp_state;
	__u32 backend_id = flow->backend_id;

	if (bpf_map_delete_elem(table, key))
		return; /* another CPU or the GC ended it first */
	count_event(CNT_FLOW_EXPIRED);
	if (tcp_state != TCP_STATE_CLOSED)
		remove_active(backend_id);
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

/* Whether `flow` may own a reply from `backend_id`: a nat flow on it, not expired (see below). */
static __always_inline int may_own_reply(const struct flow_value *flow, __u32 backend_id,
					 const struct service_key *vip,
					 const struct expiry_settings *timeouts, __u64 now)
{
	return flow && flow->backend_id == backend_id && !is_bypass_mode(flow_mode(flow)) &&
	       !is_flow_expired(timeouts, flow, vip->protocol, now);
}

/*
 * Takes `flow` as the reply's if it is a nat flow on the endpoint's backend,
 * not expired and livelier than the one found so far. A bypass-mode flow owns
 * no reply (its backend answers from the VIP, not from its own address), so
 * a nat flow of the same client port on the same endpoint is never shadowed
 * by one. An expired flow owns no reply: it
 * is gone for the forward path, so a reply must neither revive it (its
 * last_seen) nor keep its VIP alive; such a reply leaves untouched, as it
 * would once the GC deleted the entry.
 */
static __always_inline void consider_reply_flow(struct flow_value *flow, __u32 backend_id,
						struct service_key *vip,
						const struct expiry_settings *timeouts, __u64 now,
						struct flow_value **found,
						struct service_key **vip_out)
{
	if (may_own_reply(flow, backend_id, vip, timeouts, now) &&
	    (!*found || is_live_rather_than(flow, *found))) {
		*found = flow;
		*vip_out = vip;
	}
}

/* The reply's forward tuple, client -> VIP, with the VIP's address and port still to fill. */
static __always_inline void reply_forward_key(const struct packet *pkt, struct flow_key *forward)
{
	*forward = (struct flow_key){
		.src_port = pkt->key.dst_port,
		.protocol = pkt->key.protocol,
		.family = pkt->key.family,
	};
	__builtin_memcpy(forward->src, pkt->key.dst, sizeof(forward->src));
}

/* Fills in the VIP that reply_forward_key left open. */
static __always_inline void aim_at_vip(struct flow_key *forward, const struct service_key *vip)
{
	__builtin_memcpy(forward->dst, vip->addr, sizeof(forward->dst));
	forward->dst_port = vip->port;
}

/*
 * Of the forward tuple's entries in `table`, the one a reply belongs to, if
 * livelier than *found; `owner_out` (unless NULL): the index in `owners` of
 * the one taken.
 */
static __always_inline void find_reply_flow_in(void *table, const struct packet *pkt,
					       const struct endpoint_owners *owners,
					       const struct expiry_settings *timeouts, __u64 now,
					       struct flow_value **found,
					       struct service_key **vip_out, int *owner_out)
{
	struct flow_key forward;

	reply_forward_key(pkt, &forward);
#pragma unroll
	for (__u32 i = 0; i < MAX_SERVICES_PER_ENDPOINT; i++) {
		__u32 service_id = owners->service_ids[i];
		struct flow_value *before = *found;
		struct service_key *vip;

		if (i >= owners->count)
			break;
		vip = bpf_map_lookup_elem(&service_vips, &service_id);
		if (!vip || vip->family != pkt->key.family)
			continue;
		aim_at_vip(&forward, vip);
		consider_reply_flow(bpf_map_lookup_elem(table, &forward), owners->backend_ids[i],
				    vip, timeouts, now, found, vip_out);
		if (owner_out && *found != before)
			*owner_out = i;
	}
}

/*
 * The half-open table's part of lookup_reply_flow: the index in `owners` of
 * the half-open flow that owns the reply rather than `found`, or -1.
 * A global function, checked once (see steer_flow_once): inline, its
 * candidates after the flow table's multiplied what the verifier walks.
 * It answers with a number, so the caller looks that one entry up again:
 * only a SYN-ACK, or a TCP reply with no open flow, gets here.
 */
__attribute__((noinline)) int half_open_reply_owner(const struct packet_facts *facts,
						    struct endpoint_owners *owners,
						    struct flow_value *found, __u64 now)
{
	/* struct packet begins with its facts, and nothing below reads past them. */
	const struct packet *pkt = (const struct packet *)facts;
	struct service_key *vip = NULL;
	int owner = -1;

	/* The verifier assumes a global function's pointers may be NULL. */
	if (!facts || !owners)
		return -1;
	find_reply_flow_in(&half_open_flows, pkt, owners, lookup_expiry_settings(), now, &found,
			   &vip, &owner);
	return owner;
}

/* Takes the half-open flow of owner `owner` (half_open_reply_owner's answer), if it is still there. */
static __always_inline void take_half_open_reply(const struct packet *pkt,
						 const struct endpoint_owners *owners, int owner,
						 struct flow_value **found,
						 struct service_key **vip_out)
{
	__u32 index = owner, service_id;
	struct service_key *vip;
	struct flow_value *flow;
	struct flow_key forward;

	if (index >= MAX_SERVICES_PER_ENDPOINT)
		return;
	service_id = owners->service_ids[index];
	vip = bpf_map_lookup_elem(&service_vips, &service_id);
	if (!vip)
		return;
	reply_forward_key(pkt, &forward);
	aim_at_vip(&forward, vip);
	flow = bpf_map_lookup_elem(&half_open_flows, &forward);
	if (flow) {
		*found = flow;
		*vip_out = vip;
	}
}

/* Whether a reply with `found` (or none) must also search the half-open table (lookup_reply_flow). */
static __always_inline int needs_half_open_search(const struct packet *pkt,
						  const struct flow_value *found)
{
	return is_tcp(pkt) &&
	       (!found || found->tcp_state == TCP_STATE_CLOSED || (pkt->tcp_flags & TCP_FLAG_SYN));
}

/*
 * 1 + the backend id in the slot of the reply's endpoint (maps.h
 * endpoint_slots), if that backend's endpoint is the reply's source; 0
 * otherwise. A global function, checked once: inline, its ways out each
 * walked the rest of the program again (twice the verifier's walk).
 */
__attribute__((noinline)) int slotted_reply_backend(const struct packet_facts *facts)
{
	__u32 bit, backend_id, *slot;
	struct backend *backend;

	if (!facts)
		return 0;
	bit = endpoint_filter_bit(facts->key.src, facts->key.src_port, facts->key.protocol);
	slot = bpf_map_lookup_elem(&endpoint_slots, &bit);
	if (!slot || !*slot)
		return 0;
	backend_id = *slot - 1;
	backend = bpf_map_lookup_elem(&backends, &backend_id);
	if (!backend || backend->port != facts->key.src_port ||
	    backend->family != facts->key.family || !same_address(backend->addr, facts->key.src))
		return 0;
	return backend_id + 1;
}

/*
 * lookup_reply_flow's answer when the reply's endpoint has a slot: its one
 * backend's open flow, found without the hash lookup of the endpoint; NULL
 * when there is no slot or the answer needs the whole search.
 */
static __always_inline struct flow_value *lookup_slotted_reply(const struct packet *pkt, __u64 now,
							       struct service_key **vip_out)
{
	__u32 backend_id = slotted_reply_backend((const struct packet_facts *)pkt) - 1;
	struct backend *backend = bpf_map_lookup_elem(&backends, &backend_id);
	struct service_key *vip;
	struct flow_value *flow;
	struct flow_key forward;

	if (!backend)
		return NULL;
	vip = bpf_map_lookup_elem(&service_vips, &backend->service_id);
	if (!vip || vip->family != pkt->key.family || vip->protocol != pkt->key.protocol)
		return NULL;
	reply_forward_key(pkt, &forward);
	aim_at_vip(&forward, vip);
	flow = bpf_map_lookup_elem(&flows, &forward);
	if (!may_own_reply(flow, backend_id, vip, lookup_expiry_settings(), now) ||
	    needs_half_open_search(pkt, flow))
		return NULL;
	*vip_out = vip;
	return flow;
}

/*
 * The flow a reply (backend -> client) belongs to, and the VIP to restore:
 * the forward tuple is client -> VIP of one of the services the sending
 * endpoint serves, and that flow must be on this very backend. NULL when
 * the packet is no reply of ours. When the endpoint serves several services
 * and the client used the same port towards more than one of them (a port
 * reused after a closed connection), the live one is the reply's: the
 * backend sees one connection per client address and port. The half-open
 * table is searched only for a SYN-ACK (which belongs there, unless the
 * client's ACK passed and was lost) or a TCP reply with no flow (an RST
 * refusing the SYN, TCP Fast Open data): established replies pay nothing.
 * The endpoint's slot is tried first (an endpoint of one service): an open
 * flow found there is the answer the whole search would give.
 * `owners_out`: the endpoint's owners, when it has any (for unrecorded flows).
 */
static __always_inline struct flow_value *lookup_reply_flow(const struct packet *pkt, __u64 now,
							    struct service_key **vip_out,
							    struct endpoint_owners **owners_out)
{
	struct service_key endpoint = {
		.port = pkt->key.src_port,
		.protocol = pkt->key.protocol,
		.family = pkt->key.family,
	};
	struct flow_value *found = lookup_slotted_reply(pkt, now, vip_out);
	struct endpoint_owners *owners;

	*owners_out = NULL;
	if (found)
		return found;
	__builtin_memcpy(endpoint.addr, pkt->key.src, sizeof(endpoint.addr));
	owners = bpf_map_lookup_elem(&backend_endpoints, &endpoint);
	*owners_out = owners;
	if (!owners)
		return NULL;
	find_reply_flow_in(&flows, pkt, owners, lookup_expiry_settings(), now, &found, vip_out,
			   NULL);
	/*
	 * A half-open flow can own the reply when nothing open was found: no
	 * flow, or a closed one of the same client port towards another VIP
	 * (its backend, still in TIME_WAIT, answers the new SYN with a bare
	 * ACK), or a SYN-ACK. Open before closed, as among flows.
	 */
	if (needs_half_open_search(pkt, found)) {
		int owner =
			half_open_reply_owner((const struct packet_facts *)pkt, owners, found, now);

		if (owner >= 0)
			take_half_open_reply(pkt, owners, owner, &found, vip_out);
	}
	return found;
}

static __always_inline int is_consistent_hash(const struct service_config *service)
{
	return service->algorithm == ALG_MAGLEV || service->algorithm == ALG_SOURCE_HASH;
}

/* The flood guard's rate per CPU; 0 when the guard is off. */
static __always_inline __u64 guard_rate(void)
{
	__u32 zero = 0;
	struct flood_settings *settings = bpf_map_lookup_elem(&flood_settings, &zero);

	return settings ? settings->new_flow_rate_per_cpu : 0;
}

/* Counts one new flow on this CPU; whether this CPU is over the guard's rate. */
static __always_inline int new_flow_over_rate(__u64 now)
{
	__u64 rate = guard_rate();
	__u32 zero = 0;
	struct new_flow_window *window;

	if (!rate)
		return 0;
	window = bpf_map_lookup_elem(&new_flow_windows, &zero);
	if (!window)
		return 0;
	if (now - window->started_ns >= NEW_FLOW_WINDOW_NS) {
		window->started_ns = now;
		window->count = 0;
	}
	window->count += 1;
	return window->count > rate;
}

/* Whether the backend's endpoint serves this one service only: then a reply names its VIP without a flow. */
static __always_inline int endpoint_has_one_service(const struct backend *backend, __u8 protocol)
{
	struct service_key endpoint = {
		.port = backend->port,
		.protocol = protocol,
		.family = backend->family,
	};
	struct endpoint_owners *owners;

	__builtin_memcpy(endpoint.addr, backend->addr, sizeof(endpoint.addr));
	owners = bpf_map_lookup_elem(&backend_endpoints, &endpoint);
	return owners && owners->count == 1;
}

/*
 * The service of an unrecorded UDP flow's reply, when the guard could have
 * left it unrecorded: its endpoint serves one consistent-hash service and
 * the guard is on. NULL otherwise (the packet is no reply of ours).
 */
static __always_inline struct service_key *untracked_reply_vip(const struct packet *pkt,
							       const struct endpoint_owners *owners)
{
	__u32 service_id;
	struct service_key *vip;
	struct service_config *service;

	if (is_tcp(pkt) || !owners || owners->count != 1 || !guard_rate())
		return NULL;
	service_id = owners->service_ids[0];
	vip = bpf_map_lookup_elem(&service_vips, &service_id);
	if (!vip || vip->family != pkt->key.family)
		return NULL;
	service = bpf_map_lookup_elem(&services, vip);
	/* In a bypass mode the backend answers from the VIP: nothing from its own address is a reply. */
	if (!service || service->id != service_id || !is_consistent_hash(service) ||
	    is_bypass_mode(service_mode(service)))
		return NULL;
	return vip;
}

/*
 * Chooses a backend for the packet's flow and records the flow: a TCP SYN
 * in the half-open table (`replaces`: the flow table holds the connection
 * this SYN ends), anything else in the flow table, except UDP of a
 * consistent-hash service while this CPU sees more new flows than the
 * guard's rate: that is steered by its hash on every packet instead.
 * Returns the backend, or NULL when the service has none.
 */
static __always_inline struct backend *start_flow(struct packet *pkt,
						  const struct service_config *service, __u64 now,
						  int replaces, __u32 *backend_id)
{
	__u32 zero = 0;
	struct flow_value *flow = bpf_map_lookup_elem(&flow_drafts, &zero);
	struct backend *backend;
	int over_rate;

	if (!flow)
		return NULL;
	*flow = (struct flow_value){
		.created_ns = now,
		.last_seen_ns = now,
		.packets = 1,
		.bytes = pkt->frame_len,
		.service_id = service->id,
		.tcp_state = initial_tcp_state(pkt),
		.flags = (has_tcp_flag(pkt, TCP_FLAG_FIN) ? FLOW_F_FIN_CLIENT : 0) |
			 service_mode(service) << FLOW_F_MODE_SHIFT,
	};
	over_rate = new_flow_over_rate(now);

	if (is_tcp_open(pkt)) {
		flow->flags |= FLOW_F_SYN_SEQ;
		flow->syn_seq = pkt->tcp_seq;
	}

	flow->backend_id = choose_backend(service, &pkt->key, may_open_flow(pkt));
	backend = lookup_usable_backend(flow->backend_id, service->id, pkt->key.family);
	if (!backend)
		return NULL;
	*backend_id = flow->backend_id;

	if (flow->tcp_state == TCP_STATE_SYN_SENT) {
		if (replaces)
			bpf_map_delete_elem(&flows, &pkt->key);
		bpf_map_update_elem(&half_open_flows, &pkt->key, flow, BPF_ANY);
		count_event(CNT_FLOW_HALF_OPEN);
		emit_flow_event(&pkt->key, flow, replaces ? FLOW_EVENT_RESTEERED : FLOW_EVENT_NEW);
	} else if (over_rate && !is_tcp(pkt) && is_consistent_hash(service) &&
		   endpoint_has_one_service(backend, pkt->key.protocol)) {
		count_event(CNT_FLOW_UNTRACKED);
		return backend;
	} else {
		bpf_map_update_elem(&flows, &pkt->key, flow, BPF_ANY);
		emit_flow_event(&pkt->key, flow, replaces ? FLOW_EVENT_RESTEERED : FLOW_EVENT_NEW);
	}

	if (flow->tcp_state != TCP_STATE_CLOSED)
		add_active(flow->backend_id);
	return backend;
}

/*
 * The client's packet after its SYN (the handshake's ACK, or data): the
 * connection is established, so its entry moves to the flow table, where
 * only a table's worth of newer established flows can evict it. Returns the
 * entry in its new place (or the old one, still readable, if the move lost
 * a race with another CPU's).
 */
static __always_inline struct flow_value *promote_flow(const struct packet *pkt,
						       struct flow_value *half_open)
{
	struct flow_value *flow;

	bpf_map_update_elem(&flows, &pkt->key, half_open, BPF_ANY);
	bpf_map_delete_elem(&half_open_flows, &pkt->key);
	count_event(CNT_FLOW_PROMOTED);
	emit_flow_event(&pkt->key, half_open, FLOW_EVENT_ESTABLISHED);
	flow = bpf_map_lookup_elem(&flows, &pkt->key);
	return flow ? flow : half_open;
}

#endif /* SLUICE_FLOW_H */
