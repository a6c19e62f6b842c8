/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * A service's limit of new connections per client address per second
 * (service_config.client_rate; 0: none). Each (service, client) counts its
 * new connections in a window of CLIENT_RATE_WINDOW_NS that starts at its
 * first connection after the previous window ended; the first client_rate of
 * a window pass, the rest are dropped. One shared entry, updated with
 * atomics: exact across CPUs, except that a connection another CPU counts
 * while this one starts a new window is forgiven (at most one per CPU, at
 * window boundaries only).
 */
#ifndef SLUICE_CLIENT_RATE_H
#define SLUICE_CLIENT_RATE_H

#include "maps.h"
#include "packet.h"

/* Counts one new connection from the packet's client; whether it is over the service's client_rate. */
static __always_inline int client_over_rate(const struct packet *pkt,
					    const struct service_config *service, __u64 now)
{
	struct client_rate_key key = { .service_id = service->id, .family = pkt->key.family };
	struct client_rate_window first = { .started_ns = now, .count = 1 };
	struct client_rate_window *window;
	__u32 limit = service->client_rate;
	__u64 started;

	if (!limit)
		return 0;
	__builtin_memcpy(key.addr, pkt->key.src, sizeof(key.addr));
	window = bpf_map_lookup_elem(&client_rates, &key);
	if (!window) {
		/* The client's first connection (limit >= 1 lets it pass); a CPU that lost the race counts in the winner's entry. */
		if (bpf_map_update_elem(&client_rates, &key, &first, BPF_NOEXIST) == 0)
			return 0;
		window = bpf_map_lookup_elem(&client_rates, &key);
		if (!window)
			return 0;
	}
	started = window->started_ns;
	/* Only the CPU whose compare-and-swap moves the start opens the new window. */
	if (now - started >= CLIENT_RATE_WINDOW_NS &&
	    __sync_val_compare_and_swap(&window->started_ns, started, now) == started) {
		__sync_lock_test_and_set(&window->count, 1);
		return 0;
	}
	return __sync_fetch_and_add(&window->count, 1) >= limit;
}

#endif /* SLUICE_CLIENT_RATE_H */
