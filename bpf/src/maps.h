/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Every map of the program. Only the agent writes configuration maps. */
#ifndef SLUICE_MAPS_H
#define SLUICE_MAPS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "sluice_shared.h"

/* VIP:port:protocol -> service settings; replaced whole on every change. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_SERVICES);
	__type(key, struct service_key);
	__type(value, struct service_config);
} services SEC(".maps");

/* VIP address -> number of services on it; tells "a VIP, wrong port" apart. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_SERVICES);
	__type(key, struct vip_key);
	__type(value, __u32);
} vips SEC(".maps");

/* Service id -> its VIP:port, to rewrite replies back to the VIP. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_SERVICES);
	__type(key, __u32);
	__type(value, struct service_key);
} service_vips SEC(".maps");

/* Backend id -> address, port, flags; flags cleared before an id is reused. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_BACKENDS);
	__type(key, __u32);
	__type(value, struct backend);
} backends SEC(".maps");

/* Backend address:port:protocol (keyed like a service) -> the services it serves: the reply path. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_BACKENDS);
	__type(key, struct service_key);
	__type(value, struct endpoint_owners);
} backend_endpoints SEC(".maps");

/* Bit set per VIP address (hash.h vip_filter_bit): most of the host's own packets stop at a clear bit. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, VIP_FILTER_WORDS);
	__type(key, __u32);
	__type(value, __u64);
} vip_filter SEC(".maps");

/* Bit set per backend endpoint (hash.h endpoint_filter_bit): most packets are no reply. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ENDPOINT_FILTER_WORDS);
	__type(key, __u32);
	__type(value, __u64);
} endpoint_filter SEC(".maps");

/*
 * Endpoint filter bit -> 1 + the id of the backend behind it, when exactly
 * one endpoint has that bit and it serves one service; 0 otherwise. A reply
 * from such an endpoint (most are) finds its flow without the hash lookup in
 * backend_endpoints; the backend's endpoint and the flow's backend are
 * checked, so a stale slot only sends the reply the exact way.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1 << ENDPOINT_FILTER_BITS_LOG2);
	__type(key, __u32);
	__type(value, __u32);
} endpoint_slots SEC(".maps");

/* (service id * 2 + slot) -> lookup table; the service names the live slot. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, (MAX_SERVICES * LOOKUP_TABLE_SLOTS));
	__type(key, __u32);
	__type(value, struct lookup_table);
} lookup_tables SEC(".maps");

/* Service id -> round-robin position; shared by all CPUs so the order is exact. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_SERVICES);
	__type(key, __u32);
	__type(value, __u64);
} rr_cursors SEC(".maps");

/* Backend id -> open flows; whoever ends a flow counts it off: the data plane (close, re-steer, expiry) or the agent (GC, end-flows). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_BACKENDS);
	__type(key, __u32);
	__type(value, __u64);
} backend_active SEC(".maps");

/* Backend id -> the next hop toward it, per CPU: no CPU writes what another reads. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MAX_BACKENDS);
	__type(key, __u32);
	__type(value, struct backend_next_hop);
} backend_next_hops SEC(".maps");

#ifndef SLUICE_TEST_EXTRA_FIELDS
/* An LRU element is a 48-byte header, the key, the value: 192 bytes, three cache lines (struct flow_value). */
_Static_assert(48 + sizeof(struct flow_key) + sizeof(struct flow_value) == 192,
	       "a flow element fills three cache lines");
/* A forward packet's fields end where the element's second cache line does. */
_Static_assert(48 + sizeof(struct flow_key) + __builtin_offsetof(struct flow_value, flags) + 4 ==
		       128,
	       "a forward packet touches two cache lines of its flow");
#endif

/* Connection tracking: one entry per flow, keyed client -> VIP. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, FLOW_TABLE_SIZE);
	__type(key, struct flow_key);
	__type(value, struct flow_value);
} flows SEC(".maps");

/*
 * TCP flows between the client's SYN and its handshake-completing ACK,
 * keyed like flows; the ACK moves the entry to flows. A SYN flood churns
 * this table and leaves flows alone.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, HALF_OPEN_TABLE_SIZE);
	__type(key, struct flow_key);
	__type(value, struct flow_value);
} half_open_flows SEC(".maps");

/*
 * (service id, client address) -> that client's new connections in its
 * current window, for services with a client_rate. One entry shared by all
 * CPUs, updated with atomics, not per CPU: a client's connections spread
 * over CPUs (RSS hashes their ports), so per-CPU windows would let it open
 * up to the limit on every CPU; only new connections of limited services
 * touch it. LRU, sized in sluice_shared.h (CLIENT_RATE_TABLE_SIZE).
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, CLIENT_RATE_TABLE_SIZE);
	__type(key, struct client_rate_key);
	__type(value, struct client_rate_window);
} client_rates SEC(".maps");

/* Key 0 -> flood settings, written by the agent. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct flood_settings);
} flood_settings SEC(".maps");

/* Key 0 -> flow idle timeouts, written by the agent (the same as its GC's). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct expiry_settings);
} expiry_settings SEC(".maps");

/* Key 0 -> the outer source and GUE port of tunnelled services, written by the agent. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tunnel_settings);
} tunnel_settings SEC(".maps");

/*
 * Key 0 -> this CPU's new flow entry while it is filled, before it is
 * inserted: a struct flow_value on the stack of steer_flow_once would take the
 * program over the verifier's 512 bytes for all frames. Nothing reads it
 * after the insert; XDP runs one packet at a time on a CPU.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct flow_value);
} flow_drafts SEC(".maps");

/* Key 0 -> new flows in this CPU's current window (the flood guard's rate). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct new_flow_window);
} new_flow_windows SEC(".maps");

/* enum sluice_counter -> packets, per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} global_counters SEC(".maps");

/*
 * Flow key -> when (bpf_ktime_get_coarse_ns) a packet of that flow first
 * missed while its flow may still be coming from the sync peer (await_peer.h).
 * An entry matters for AWAIT_PEER_FLOW_NS only; LRU, sized in sluice_shared.h.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, AWAITED_FLOWS_SIZE);
	__type(key, struct flow_key);
	__type(value, __u64);
} awaited_flows SEC(".maps");

/*
 * [0]: until when (bpf_ktime_get_coarse_ns) an upgrade is still copying the
 * old build's flows into this build's table; 0 otherwise. Set by the agent
 * just before it swaps a program in over migrated maps, cleared once the last
 * copy is done, and bounded so that a crashed agent cannot leave it on.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} handover SEC(".maps");

/* Service id -> traffic counters, per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MAX_SERVICES);
	__type(key, __u32);
	__type(value, struct traffic_counters);
} service_counters SEC(".maps");

/* Backend id -> traffic counters, per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MAX_BACKENDS);
	__type(key, __u32);
	__type(value, struct traffic_counters);
} backend_counters SEC(".maps");

/* Backend id -> drops by reason after it was chosen, and resets it sent, per CPU (rare events only). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MAX_BACKENDS);
	__type(key, __u32);
	__type(value, struct backend_errors);
} backend_errors SEC(".maps");

/*
 * struct flow_event for the agent's flow sync: a ring, not a perf buffer, so
 * events from every CPU arrive in one order and cost one reserve each.
 */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, FLOW_EVENTS_BYTES);
} flow_events SEC(".maps");

/* A ring has no value type: this names its record in the object's BTF, which the agent's layout is generated from. */
const struct flow_event *const flow_event_record __attribute__((unused));

#endif /* SLUICE_MAPS_H */
