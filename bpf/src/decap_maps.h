/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Maps of the decapsulation program. Only the agent's backend-host command writes them. */
#ifndef SLUICE_DECAP_MAPS_H
#define SLUICE_DECAP_MAPS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "sluice_decap.h"

/* This host's tunnel endpoint addresses: only tunnels to these are stripped, the rest is someone else's. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, DECAP_MAX_ADDRESSES);
	__type(key, struct decap_address_key);
	__type(value, __u8); /* always 1: the key's presence is the answer */
} decap_addresses SEC(".maps");

/* Key 0 -> the GUE port; zero until configured, so no UDP is mistaken for GUE. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct decap_settings);
} decap_settings SEC(".maps");

/* enum sluice_decap_counter -> packets, per CPU: plain adds, userspace sums the CPUs. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, DECAP_CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} decap_counters SEC(".maps");

#endif /* SLUICE_DECAP_MAPS_H */
