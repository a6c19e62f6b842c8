/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Flow events for the standby's flow sync (struct flow_event in
 * sluice_shared.h says when they are written and why only then).
 */
#ifndef SLUICE_FLOW_EVENTS_H
#define SLUICE_FLOW_EVENTS_H

#include "counters.h"
#include "maps.h"
#include "tunables.h"

/*
 * Flags 0: the kernel wakes the agent's reader only for the first event
 * after it drained the ring (the reader has caught up), so a burst pays one
 * wakeup and the standby hears of a handshake within a wakeup, not a timer's
 * tick. A full ring drops the event and counts it.
 */
static __always_inline void emit_flow_event(const struct flow_key *key,
					    const struct flow_value *flow, __u32 kind)
{
	struct flow_event *event;

	if (!flow_events_on)
		return;
	/* Written in the ring, not built on the stack first: steer_flow_once's frame is tight (maps.h flow_drafts). */
	event = bpf_ringbuf_reserve(&flow_events, sizeof(*event), 0);
	if (!event) {
		count_event(CNT_FLOW_EVENT_LOST);
		return;
	}
	*event = (struct flow_event){
		.backend_id = flow->backend_id,
		.service_id = flow->service_id,
		/* The handshake's last ACK establishes the flow right after this move (track_tcp). */
		.tcp_state = kind == FLOW_EVENT_ESTABLISHED ? TCP_STATE_ESTABLISHED :
							      flow->tcp_state,
		.flags = flow->flags,
		.kind = kind,
	};

	__builtin_memcpy(event->key, key, sizeof(event->key));
	bpf_ringbuf_submit(event, 0);
}

#endif /* SLUICE_FLOW_EVENTS_H */
