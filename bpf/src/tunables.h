/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Load-time settings: read-only globals in .rodata that the loader may set
 * before load (LoadOptions.tunables in @sluice/dataplane), libbpf-bootstrap's
 * `const volatile` habit. The map is frozen at load, so the verifier sees the
 * value as a constant and a tunable costs what a #define did. The defaults
 * are the limits of sluice_shared.h; tests set shorter ones instead of waiting.
 */
#ifndef SLUICE_TUNABLES_H
#define SLUICE_TUNABLES_H

#include "sluice_shared.h"

/* How long a flow entry trusts its cached FIB answer (forward.h). */
const volatile __u64 next_hop_ttl_ns = NEXT_HOP_TTL_NS;

/*
 * ICMP too-big answers per second, all CPUs together (too_big.h): RFC 4443
 * 2.4(f) and RFC 1812 4.3.2.8 bound the errors a node originates. 1000 is
 * Linux's net.ipv4.icmp_msgs_per_sec default.
 */
const volatile __u64 too_big_answers_per_second = 1000;

/*
 * Seed of the flow hashes (hash.h: Maglev, source hash, least-connections
 * candidates, tunnel source ports): FLOW_HASH_SEED XOR the operator's hash
 * seed, derived by the agent (lookup/seed.ts) so that one rule makes both
 * this seed and Maglev's table seeds. A __u64 like the other settings; the
 * loader refuses a value above 2^32-1.
 */
const volatile __u64 flow_hash_seed = FLOW_HASH_SEED;

/*
 * 1: write struct flow_event into the flow_events ring (flow_events.h) for
 * the agent's flow sync; 0 (a node without a sync peer): the new-flow path
 * does not even reserve, the verifier drops the code as dead.
 */
const volatile __u64 flow_events_on = 0;

#endif
