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

#endif
