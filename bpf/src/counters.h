/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Per-CPU counters: plain adds, no atomics; userspace sums the CPUs. */
#ifndef SLUICE_COUNTERS_H
#define SLUICE_COUNTERS_H

#include "maps.h"

static __always_inline void count_event(__u32 counter)
{
	__u64 *value = bpf_map_lookup_elem(&global_counters, &counter);

	if (value)
		*value += 1;
}

static __always_inline int drop_for(__u32 reason)
{
	count_event(reason);
	return XDP_DROP;
}

static __always_inline int pass_for(__u32 reason)
{
	count_event(reason);
	return XDP_PASS;
}

static __always_inline void count_forward_traffic(struct traffic_counters *counters, __u32 bytes,
						  int new_flow)
{
	if (!counters)
		return;
	counters->packets += 1;
	counters->bytes += bytes;
	counters->new_flows += new_flow;
}

static __always_inline void count_forward(__u32 service_id, __u32 backend_id, __u32 bytes,
					  int new_flow)
{
	count_forward_traffic(bpf_map_lookup_elem(&service_counters, &service_id), bytes, new_flow);
	count_forward_traffic(bpf_map_lookup_elem(&backend_counters, &backend_id), bytes, new_flow);
	count_event(CNT_FORWARD_PACKETS);
	if (new_flow)
		count_event(CNT_FLOW_NEW);
}

static __always_inline void count_reply_traffic(struct traffic_counters *counters, __u32 bytes)
{
	if (!counters)
		return;
	counters->reply_packets += 1;
	counters->reply_bytes += bytes;
}

static __always_inline void count_reply(__u32 service_id, __u32 backend_id, __u32 bytes)
{
	count_reply_traffic(bpf_map_lookup_elem(&service_counters, &service_id), bytes);
	count_reply_traffic(bpf_map_lookup_elem(&backend_counters, &backend_id), bytes);
	count_event(CNT_REPLY_PACKETS);
}

/* A packet to a service that did not reach a backend, in the service's drops. */
static __always_inline void count_service_drop(__u32 service_id)
{
	struct traffic_counters *counters = bpf_map_lookup_elem(&service_counters, &service_id);

	if (counters)
		counters->drops += 1;
}

/* A packet to a service dropped for `reason`: also counted in the service's drops. */
static __always_inline int drop_for_service(__u32 service_id, __u32 reason)
{
	count_service_drop(service_id);
	return drop_for(reason);
}

static __always_inline int drop_no_backend(__u32 service_id)
{
	return drop_for_service(service_id, CNT_DROP_NO_BACKEND);
}

/*
 * A packet to a chosen backend that did not leave for it (`reason`, enum
 * sluice_backend_drop): in that backend's drops and its reason's slot.
 * O(1): two lookups by the backend's id, on drop paths only.
 */
static __always_inline void count_backend_drop(__u32 backend_id, __u32 reason)
{
	struct traffic_counters *traffic = bpf_map_lookup_elem(&backend_counters, &backend_id);
	struct backend_errors *errors = bpf_map_lookup_elem(&backend_errors, &backend_id);

	if (traffic)
		traffic->drops += 1;
	if (errors && reason < BACKEND_DROP_MAX)
		errors->drops[reason] += 1;
}

/* Dropped after its backend was chosen: the service's, the backend's and the global reason's count. */
static __always_inline int drop_for_backend(__u32 service_id, __u32 backend_id, __u32 reason,
					    __u32 backend_reason)
{
	count_backend_drop(backend_id, backend_reason);
	return drop_for_service(service_id, reason);
}

/* A TCP RST the backend sent on a flow's reply path (nat flows only: no other mode's replies pass here). */
static __always_inline void count_backend_reset(__u32 backend_id)
{
	struct backend_errors *errors = bpf_map_lookup_elem(&backend_errors, &backend_id);

	if (errors)
		errors->resets += 1;
}

#endif /* SLUICE_COUNTERS_H */
