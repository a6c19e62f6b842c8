// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Sluice data plane: an XDP Layer-4 load balancer.
 *
 * A service's mode (service_config.mode) says how its new flows reach their
 * backend, and each flow keeps the mode it started with (FLOW_F_MODE_*):
 *   nat   destination rewritten, replies come back here (nat.h)
 *   dsr   only the MACs change; the backend answers directly (dsr.h)
 *   ipip, gue  encapsulated to the backend, which answers directly (tunnel.h)
 *
 * A flow is one entry in the flow table, keyed client -> VIP; a TCP flow
 * waits in the half-open table from its SYN to the client's next packet.
 * Every TCP/UDP packet costs a bit in each of two filters, and one lookup in the
 * flow table unless its destination is certainly no VIP:
 *   from a backend endpoint, flow found -> reply: source back to the VIP
 *   destination's bit clear in vip_filter -> XDP_PASS untouched
 *   flow entry hit                      -> forward: destination to its backend
 *   flow entry idle past its timeout    -> ended (CNT_FLOW_EXPIRED); as a miss
 *   miss, half-open entry hit (to a VIP) -> SYN again: forward; else move it
 *                                          to the flow table, then forward
 *   miss, VIP:port                      -> over the client's rate (a new
 *                                          connection): drop; with a sync
 *                                          peer, a mid-stream TCP packet its
 *                                          flow may still be coming for: drop
 *                                          (await_peer.h); else choose a
 *                                          backend (O(1)), record, forward
 *   miss, otherwise                     -> XDP_PASS untouched
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "sluice_shared.h"
#include "maps.h"
#include "counters.h"
#include "parse_packet.h"
#include "services.h"
#include "flow.h"
#include "await_peer.h"
#include "client_rate.h"
#include "nat.h"
#include "forward.h"
#include "dsr.h"
#include "tunnel.h"

/*
 * Where a client's packet goes, once its flow is found or started. Filled by
 * the steps below, then sent by forward_to_backend from one place only: each
 * mode's code is then verified once, not once per way of reaching it.
 */
struct forward_job {
	struct backend *backend;
	/* The packet's flow entry, or NULL for a flow's first packet (its entry was inserted from a copy). */
	struct flow_value *flow;
	__u32 service_id;
	__u32 backend_id;
	__u32 mode; /* the flow's (for a first packet, its service's) enum sluice_forwarding_mode */
};

static __always_inline int forward_to_backend(struct xdp_md *ctx, struct packet *pkt,
					      const struct forward_job *job, __u64 now)
{
	count_forward(job->service_id, job->backend_id, pkt->frame_len, job->flow == NULL);
	switch (job->mode) {
	case MODE_DSR:
		return forward_dsr(ctx, pkt, job->backend, job->service_id, job->backend_id, now);
	case MODE_IPIP:
	case MODE_GUE:
		return forward_tunnelled(ctx, pkt, job->backend, job->service_id, job->backend_id,
					 job->mode, now);
	default:
		rewrite_endpoint(pkt, ENDPOINT_DESTINATION, job->backend->addr, job->backend->port);
		return forward_packet(
			ctx, pkt, backend_next_hop(job->backend_id, job->backend, MODE_NAT), now);
	}
}

/* What steer_flow_once chose: numbers only (see there). */
struct steer_choice {
	__u32 service_id;
	__u32 backend_id;
	__u32 mode; /* the service's enum sluice_forwarding_mode */
};

/*
 * First packet of a flow, or of a flow that must change backend
 * (`replaces`: its entry is in the flow table). `limit_client`: the packet
 * opens a new connection that the service's client rate has not counted yet.
 * CONTINUE_PROCESSING with `choice` filled, or the final action.
 *
 * A global function, so the verifier checks it once on its own rather than
 * once for every way a packet reaches it: that halved the instructions it
 * processes for the whole program (bench/README.md). The price: it sees only
 * the packet's facts, and what it hands back are numbers (the verifier makes
 * plain numbers of any pointer written through its arguments).
 */
__attribute__((noinline)) int steer_flow_once(struct packet_facts *facts, __u64 now, int replaces,
					      int limit_client, struct steer_choice *choice)
{
	/* struct packet begins with its facts, and nothing below reads past them. */
	struct packet *pkt = (struct packet *)facts;
	struct service_config *service;
	__u32 service_id, backend_id = NO_BACKEND;

	/* The verifier assumes a global function's pointers may be NULL. */
	if (!facts || !choice)
		return XDP_ABORTED;
	service = lookup_service(&pkt->key);
	if (!service) {
		if (is_vip(&pkt->key))
			return drop_for(CNT_DROP_NO_SERVICE);
		return pass_for(CNT_PASS_NOT_SERVICE);
	}
	service_id = service->id;
	if (!replaces && awaits_peer_flow(pkt, service, now))
		return drop_for_service(service_id, CNT_DROP_AWAITING_PEER);
	if (limit_client && client_over_rate(pkt, service, now))
		return drop_for_service(service_id, CNT_DROP_CLIENT_RATE);
	if (!start_flow(pkt, service, now, replaces, &backend_id))
		return drop_no_backend(service_id);
	*choice = (struct steer_choice){ service_id, backend_id, service_mode(service) };
	return CONTINUE_PROCESSING;
}

/* steer_flow_once, then its backend looked up again: CONTINUE_PROCESSING with `job` filled, or the final action. */
static __always_inline int steer_flow(struct packet *pkt, __u64 now, int replaces, int limit_client,
				      struct forward_job *job)
{
	struct steer_choice choice;
	struct backend *backend;
	int verdict =
		steer_flow_once((struct packet_facts *)pkt, now, replaces, limit_client, &choice);

	if (verdict != CONTINUE_PROCESSING)
		return verdict;
	backend = lookup_usable_backend(choice.backend_id, choice.service_id, pkt->key.family);
	/* Only if the agent took the backend away in between: the flow's next packet steers anew. */
	if (!backend)
		return drop_no_backend(choice.service_id);
	*job = (struct forward_job){ backend, NULL, choice.service_id, choice.backend_id,
				     choice.mode };
	return CONTINUE_PROCESSING;
}

/* Client -> VIP on a tracked flow: CONTINUE_PROCESSING with `job` filled, or the final action. */
static __always_inline int handle_forward(struct packet *pkt, struct flow_value *flow, __u64 now,
					  struct forward_job *job)
{
	__u32 service_id = flow->service_id, backend_id = flow->backend_id;
	struct backend *backend = lookup_usable_backend(backend_id, service_id, pkt->key.family);
	int syn_again = is_opening_syn_again(flow, pkt);
	int reopened = is_tcp_open(pkt) && flow->tcp_state != TCP_STATE_SYN_SENT && !syn_again;

	if (reopened) {
		/* Counted before the old connection ends: a SYN over the client's rate leaves the flow as it was. */
		struct service_config *service = lookup_service(&pkt->key);

		if (service && client_over_rate(pkt, service, now))
			return drop_for_service(service->id, CNT_DROP_CLIENT_RATE);
	}
	if (!backend || reopened) {
		/* The old connection ends here; the packet starts a new one. */
		if (flow->tcp_state != TCP_STATE_CLOSED)
			remove_active(backend_id);
		if (!backend)
			count_event(CNT_FLOW_RESTEERED);
		return steer_flow(pkt, now, 1, 0, job);
	}

	if (syn_again)
		resume_handshake(flow);
	flow->last_seen_ns = now;
	flow->packets += 1;
	flow->bytes += pkt->frame_len;
	if (is_tcp(pkt))
		track_tcp(flow, pkt->tcp_flags, FLOW_F_FIN_CLIENT, FLOW_F_FIN_BACKEND);
	*job = (struct forward_job){ backend, flow, service_id, backend_id, flow_mode(flow) };
	return CONTINUE_PROCESSING;
}

/* Client -> VIP on a half-open flow: its SYN again, or the packet that establishes it. */
static __always_inline int handle_half_open(struct packet *pkt, struct flow_value *flow, __u64 now,
					    struct forward_job *job)
{
	if (flow->tcp_state == TCP_STATE_SYN_SENT &&
	    !has_tcp_flag(pkt, TCP_FLAG_SYN | TCP_FLAG_RST))
		flow = promote_flow(pkt, flow);
	return handle_forward(pkt, flow, now, job);
}

/*
 * Backend -> client of a UDP flow the flood guard left unrecorded: its
 * endpoint serves one service, so the VIP is known without a flow.
 */
static __always_inline int handle_untracked_reply(struct xdp_md *ctx, struct packet *pkt,
						  const struct endpoint_owners *owners,
						  const struct service_key *vip, __u64 now)
{
	count_event(CNT_REPLY_UNTRACKED);
	count_reply(owners->service_ids[0], owners->backend_ids[0], pkt->frame_len);
	rewrite_endpoint(pkt, ENDPOINT_SOURCE, vip->addr, vip->port);
	return forward_packet(ctx, pkt, NULL, now);
}

/* Backend -> client on a tracked flow: restore the VIP as the source. */
static __always_inline int handle_reply(struct xdp_md *ctx, struct packet *pkt,
					struct flow_value *flow, const struct service_key *vip,
					__u64 now)
{
	flow->last_seen_ns = now;
	flow->reply_packets += 1;
	flow->reply_bytes += pkt->frame_len;
	/* The backend's SYN-ACK does not establish: the client's ACK does. */
	if (has_tcp_flag(pkt, TCP_FLAG_FIN | TCP_FLAG_RST))
		track_tcp(flow, pkt->tcp_flags, FLOW_F_FIN_BACKEND, FLOW_F_FIN_CLIENT);
	/* A reset from the backend (refusing a SYN, or ending a connection): one of its error signals. */
	if (has_tcp_flag(pkt, TCP_FLAG_RST))
		count_backend_reset(flow->backend_id);

	count_reply(flow->service_id, flow->backend_id, pkt->frame_len);
	rewrite_endpoint(pkt, ENDPOINT_SOURCE, vip->addr, vip->port);
	return forward_packet(ctx, pkt, flow_reply_next_hop(flow), now);
}

/*
 * During an upgrade's handover, a TCP packet that is not a connection's first
 * (an ACK, data, a SYN-ACK) with no flow belongs to a flow the old program
 * recorded that is not copied over yet: steering it anew would pick another
 * backend and reset the connection. Dropped, it is retransmitted once the
 * flow is there. Only misses pay for this lookup.
 */
static __always_inline int in_handover(const struct packet *pkt, __u64 now)
{
	__u32 zero = 0;
	__u64 *until;

	if (may_open_flow(pkt))
		return 0;
	until = bpf_map_lookup_elem(&handover, &zero);
	return until && now < *until;
}

/*
 * The packet's flow in `table`, or NULL: an entry idle past its timeout is
 * ended here, and the packet goes on as if there were none (a UDP datagram
 * gets a fresh choice, a TCP mid-stream packet carries on as an evicted flow's).
 */
static __always_inline struct flow_value *lookup_live_flow(void *table, const struct packet *pkt,
							   __u64 now)
{
	struct flow_value *flow = bpf_map_lookup_elem(table, &pkt->key);

	if (flow && is_flow_expired(lookup_expiry_settings(), flow, pkt->key.protocol, now)) {
		expire_flow(table, &pkt->key, flow);
		return NULL;
	}
	return flow;
}

/*
 * A client's packet (or one no reply flow claimed): finds or starts its flow.
 * CONTINUE_PROCESSING with `job` filled when it goes to a backend, else the
 * final action.
 */
static __always_inline int pass_not_service(const struct packet *pkt, int from_backend, __u64 now)
{
	if (from_backend && in_handover(pkt, now))
		return drop_for(CNT_DROP_HANDOVER);
	return pass_for(CNT_PASS_NOT_SERVICE);
}

static __always_inline int find_forward_job(struct packet *pkt, int from_backend, __u64 now,
					    struct forward_job *job)
{
	struct flow_value *flow;

	/*
	 * Not for a VIP: no flow to look for. Flows are keyed client -> VIP and
	 * a VIP leaves vips (and its bit) only with its last service, whose
	 * backends no flow follows any more by then (reconciler rules 4 and 6):
	 * such a flow's packet passed before this check too, one lookup later.
	 * A client's packet got here only with its bit set (process_packet).
	 */
	if (from_backend && !may_be_vip(&pkt->key))
		return pass_not_service(pkt, from_backend, now);
	flow = lookup_live_flow(&flows, pkt, now);
	if (flow)
		return handle_forward(pkt, flow, now, job);
	if (!is_vip(&pkt->key))
		return pass_not_service(pkt, from_backend, now);
	if (is_tcp(pkt)) {
		flow = lookup_live_flow(&half_open_flows, pkt, now);
		if (flow)
			return handle_half_open(pkt, flow, now, job);
	}
	if (in_handover(pkt, now))
		return drop_for(CNT_DROP_HANDOVER);
	/* A new connection: a TCP SYN or a UDP flow's first packet (a mid-stream TCP packet is an evicted flow's). */
	return steer_flow(pkt, now, 0, may_open_flow(pkt), job);
}

static __always_inline int process_packet(struct xdp_md *ctx)
{
	struct packet pkt = {};
	struct service_key *vip = NULL;
	struct endpoint_owners *owners = NULL;
	struct forward_job job = {};
	struct flow_value *flow;
	__u64 now;
	int verdict, from_backend;

	verdict = parse_packet(ctx, &pkt);
	if (verdict != CONTINUE_PROCESSING)
		return verdict;

	from_backend = may_be_reply(&pkt);
	/* The host's own traffic (no reply, no VIP) goes before the clock is even read. */
	if (!from_backend && !may_be_vip(&pkt.key))
		return pass_for(CNT_PASS_NOT_SERVICE);
	/* Coarse clock: flow timeouts are seconds, and it is the cheapest. */
	now = bpf_ktime_get_coarse_ns();
	if (from_backend) {
		flow = lookup_reply_flow(&pkt, now, &vip, &owners);
		if (flow)
			return handle_reply(ctx, &pkt, flow, vip, now);
		vip = untracked_reply_vip(&pkt, owners);
		if (vip && owners)
			return handle_untracked_reply(ctx, &pkt, owners, vip, now);
	}
	verdict = find_forward_job(&pkt, from_backend, now, &job);
	if (verdict != CONTINUE_PROCESSING)
		return verdict;
	return forward_to_backend(ctx, &pkt, &job, now);
}

SEC("xdp")
int sluice_xdp(struct xdp_md *ctx)
{
	int action = process_packet(ctx);

	/* XDP action codes 0..4 are the first five counters. */
	count_event(action <= XDP_REDIRECT ? (__u32)action : CNT_ACTION_ABORTED);
	return action;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
