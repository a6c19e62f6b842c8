/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Backend choice for a new flow, O(1): every algorithm indexes the service's
 * live lookup table, which the agent precomputes (Maglev fill for maglev and
 * source-hash, a smooth weighted sequence for the others).
 */
#ifndef SLUICE_SELECT_H
#define SLUICE_SELECT_H

#include "maps.h"
#include "hash.h"

#ifndef barrier_var
#define barrier_var(var) asm volatile("" : "+r"(var))
#endif

/* A backend that may carry flows of this service and address family, or NULL. */
static __always_inline struct backend *lookup_usable_backend(__u32 backend_id, __u32 service_id,
							     __u8 family)
{
	struct backend *backend;

	if (backend_id >= MAX_BACKENDS)
		return NULL;
	backend = bpf_map_lookup_elem(&backends, &backend_id);
	if (!backend || !(backend->flags & BACKEND_F_KEEP_FLOWS) ||
	    backend->service_id != service_id || backend->family != family)
		return NULL;
	return backend;
}

static __always_inline __u32 table_slot(const struct lookup_table *table, __u32 slot)
{
	/* Keep clang from folding the bound check the verifier needs. */
	barrier_var(slot);
	if (slot >= LOOKUP_TABLE_SIZE)
		return NO_BACKEND;
	return table->slots[slot];
}

/* Shared, not per-CPU, so that round robin is exact across CPUs. */
static __always_inline __u64 next_round_robin_position(__u32 service_id)
{
	__u64 *cursor = bpf_map_lookup_elem(&rr_cursors, &service_id);

	if (!cursor)
		return 0;
	return __sync_fetch_and_add(cursor, 1);
}

static __always_inline __u64 active_flows(__u32 backend_id)
{
	__u64 *active = bpf_map_lookup_elem(&backend_active, &backend_id);

	return active ? *active : 0;
}

/*
 * Least connections over LEAST_CONN_CANDIDATES consecutive slots of the
 * weighted sequence: consecutive slots hold distinct backends, so with up to
 * that many backends this is exact; beyond, it is a bounded best-of-N sample.
 * Load is active flows / weight, compared by cross-multiplying.
 */
static __always_inline __u32 choose_least_connected(const struct lookup_table *table, __u32 start,
						    __u32 length)
{
	__u32 best_id = NO_BACKEND;
	__u64 best_active = 0, best_weight = 1;

#pragma unroll
	for (__u32 k = 0; k < LEAST_CONN_CANDIDATES; k++) {
		__u32 id = table_slot(table, (start + k) % length);
		struct backend *candidate;
		__u64 active;

		if (id >= MAX_BACKENDS)
			continue;
		candidate = bpf_map_lookup_elem(&backends, &id);
		if (!candidate || !candidate->weight)
			continue;
		active = active_flows(id);
		if (best_id == NO_BACKEND ||
		    active * best_weight < best_active * candidate->weight) {
			best_id = id;
			best_active = active;
			best_weight = candidate->weight;
		}
	}
	return best_id;
}

/*
 * `takes_turn`: the packet opens a connection (a TCP SYN, any UDP flow). A
 * TCP packet from the middle of a flow whose backend is gone (a late ACK or
 * FIN) is placed by its hash instead, so that it does not shift the round
 * robin's exact rotation of new connections.
 */
static __always_inline __u32 choose_backend(const struct service_config *service,
					    const struct flow_key *key, int takes_turn)
{
	__u32 table_index = service->id * LOOKUP_TABLE_SLOTS + (service->active_table & 1);
	struct lookup_table *table = bpf_map_lookup_elem(&lookup_tables, &table_index);
	__u32 length = service->sequence_length;

	if (!table || length == 0 || length > LOOKUP_TABLE_SIZE)
		return NO_BACKEND;

	switch (service->algorithm) {
	case ALG_ROUND_ROBIN:
	case ALG_WEIGHTED_ROUND_ROBIN:
		if (!takes_turn)
			return table_slot(table, hash_flow(key) % length);
		return table_slot(table, next_round_robin_position(service->id) % length);
	case ALG_LEAST_CONNECTIONS:
		return choose_least_connected(table, hash_flow(key) % length, length);
	case ALG_SOURCE_HASH:
		return table_slot(table, hash_source(key) % LOOKUP_TABLE_SIZE);
	case ALG_MAGLEV:
		return table_slot(table, hash_flow(key) % LOOKUP_TABLE_SIZE);
	}
	return NO_BACKEND;
}

#endif /* SLUICE_SELECT_H */
