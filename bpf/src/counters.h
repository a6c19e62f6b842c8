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

#endif /* SLUICE_COUNTERS_H */
