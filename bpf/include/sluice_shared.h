/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Every struct, enum and limit shared by the XDP program and the agent.
 * The agent's TypeScript layout (packages/dataplane/src/generated/layout.ts)
 * is generated from the compiled object's BTF; `pnpm test:bpf` fails on drift.
 */
#ifndef SLUICE_SHARED_H
#define SLUICE_SHARED_H

#include <linux/types.h>

/* ---- Limits: each can be overridden at build time with -DNAME=value. ---- */

#ifndef MAX_SERVICES
#define MAX_SERVICES 256
#endif

/* Backend ids index the backends array; u16 lookup-table slots cap it. */
#ifndef MAX_BACKENDS
#define MAX_BACKENDS 4096
#endif

/*
 * Lookup-table length per service: a prime (Maglev needs one) well above
 * 100 x the backends a service may have (the agent's limit, 1024 by default)
 * so Maglev moves few flows on a change.
 */
#ifndef LOOKUP_TABLE_SIZE
#define LOOKUP_TABLE_SIZE 65537
#endif

/*
 * Flow table entries: one per flow, both directions (the reply path finds
 * the flow through backend_endpoints). The agent may resize it before load.
 */
#ifndef FLOW_TABLE_SIZE
#define FLOW_TABLE_SIZE (1024 * 1024)
#endif

/*
 * Half-open TCP flows (a SYN seen, the client's handshake-completing ACK
 * not yet): a table of their own, so that a flood of spoofed SYNs evicts
 * only other half-open flows, never an established one. At 1M SYN/s it
 * holds the last ~130 ms of SYNs: a real client's ACK must come within
 * that (a handshake's round trip). The agent may resize it before load.
 */
#ifndef HALF_OPEN_TABLE_SIZE
#define HALF_OPEN_TABLE_SIZE (128 * 1024)
#endif

/*
 * Per-client rate windows: one entry per (service, client address) that
 * opened a connection on a service with a client rate limit. An entry
 * matters for one CLIENT_RATE_WINDOW_NS only, so the table needs to hold the
 * distinct clients of rate-limited services within a second: 64K covers that
 * for real clients at ~6 MB. A client whose entry is evicted (more distinct
 * clients than that per second, e.g. spoofed sources, which a per-client
 * limit cannot stop anyway) starts a fresh window: it is never blocked
 * wrongly, only limited late. The agent may resize it before load.
 */
#ifndef CLIENT_RATE_TABLE_SIZE
#define CLIENT_RATE_TABLE_SIZE (64 * 1024)
#endif

/* The window a service's client rate limit (new connections per second) counts in. */
#define CLIENT_RATE_WINDOW_NS 1000000000ULL

/* The flood guard's window for counting new flows per CPU. */
#define NEW_FLOW_WINDOW_NS 1000000000ULL

/*
 * Services one backend endpoint (address:port:protocol) may serve at once.
 * A reply from an endpoint shared by several services tries their flows in
 * turn (one flow-table lookup each), so this bounds the reply path's work.
 */
#ifndef MAX_SERVICES_PER_ENDPOINT
#define MAX_SERVICES_PER_ENDPOINT 16
#endif

/* Candidates compared per new flow by least-connections (no backend loop). */
#ifndef LEAST_CONN_CANDIDATES
#define LEAST_CONN_CANDIDATES 4
#endif

/*
 * How long a flow entry trusts its cached FIB answer (egress and MACs) before
 * asking the FIB again: bounds how long a route or neighbour change goes
 * unnoticed, at one FIB lookup per flow per interval instead of per packet.
 * The default of the load-time setting next_hop_ttl_ns (src/tunables.h).
 */
#ifndef NEXT_HOP_TTL_NS
#define NEXT_HOP_TTL_NS 1000000000ULL
#endif

/*
 * Flow sync (issue 13): on a node with a sync peer, a TCP packet that is not
 * a connection's first, for a service whose choice is not a hash of the
 * packet (round robin, weighted, least connections), that finds no flow
 * here waits this long from its flow's first such miss for the peer's event
 * (awaited_flows, CNT_DROP_AWAITING_PEER). Below TCP's minimum RTO (200 ms),
 * so the first retransmission after it either finds the flow or, when no
 * node knew it, is steered anew as on a node without a peer.
 */
#define AWAIT_PEER_FLOW_NS 150000000ULL

/*
 * Flows awaited at once: a key and a time each, 7 MB (the kernel's memlock).
 * Written only on that miss, only with a sync peer; an evicted entry makes
 * its flow's next miss a first one, so it waits once more.
 */
#define AWAITED_FLOWS_SIZE (64 * 1024)

/* Two lookup tables per service: the agent fills the idle one, then flips. */
#define LOOKUP_TABLE_SLOTS 2

/* A lookup-table slot that names no backend (empty table). */
#define NO_BACKEND 0xffff

/* ---- Enums ---- */

enum sluice_family {
	FAMILY_IPV4 = 4,
	FAMILY_IPV6 = 6,
};

enum sluice_algorithm {
	ALG_ROUND_ROBIN = 0,
	ALG_WEIGHTED_ROUND_ROBIN = 1,
	ALG_LEAST_CONNECTIONS = 2,
	ALG_SOURCE_HASH = 3,
	ALG_MAGLEV = 4,
};

/*
 * How a service's packets reach its backends. A flow keeps the mode it was
 * steered with (FLOW_F_MODE_* in its flags) until it ends, so changing a
 * service's mode moves only new flows: no flow is ever half in one mode.
 */
enum sluice_forwarding_mode {
	/* Destination rewritten to the backend; replies come back through the balancer. */
	MODE_NAT = 0,
	/* L2 direct server return: only the destination MAC changes (an on-link backend, VIP on its loopback). */
	MODE_DSR = 1,
	/* IPv4-in-IPv4 or IPv6-in-IPv6 to the backend's address; the backend decapsulates and answers the client. */
	MODE_IPIP = 2,
	/* GUE variant 1: outer IP, UDP to tunnel_settings.gue_port, then the client's packet. */
	MODE_GUE = 3,
};

/* Backend flags: what the data plane may do with a backend. */
enum sluice_backend_flags {
	/* Existing flows keep going here (ready, draining or in maintenance, and up). */
	BACKEND_F_KEEP_FLOWS = 1 << 0,
};

enum sluice_tcp_state {
	TCP_STATE_NONE = 0, /* UDP flows */
	TCP_STATE_SYN_SENT = 1,
	TCP_STATE_ESTABLISHED = 2,
	TCP_STATE_FIN_WAIT = 3, /* one side sent FIN */
	TCP_STATE_CLOSED = 4, /* both FINs or an RST: no longer active */
};

/*
 * endpoint_filter: one bit per hash of a backend endpoint, so that a packet
 * whose source endpoint's bit is clear (most are no reply) skips the exact
 * lookup. An enum, so that the agent's layout carries the same numbers.
 */
enum sluice_endpoint_filter {
	ENDPOINT_FILTER_BITS_LOG2 = 16,
	ENDPOINT_FILTER_WORDS = (1 << 16) / 64,
	ENDPOINT_FILTER_MULTIPLIER = 0x61c88647, /* the kernel's GOLDEN_RATIO_32 (hash_32) */
};

/*
 * vip_filter: one bit per hash of a VIP address, set while the address is
 * in vips, so that a packet for no service (the host's own traffic) is
 * passed after one array read, before any flow lookup. A set bit only says
 * "maybe": the flow table and the exact maps decide.
 */
enum sluice_vip_filter {
	VIP_FILTER_BITS_LOG2 = 14,
	VIP_FILTER_WORDS = (1 << 14) / 64,
	VIP_FILTER_MULTIPLIER = 0x61c88647, /* the kernel's GOLDEN_RATIO_32 (hash_32) */
};

/* Flow flags. */
enum sluice_flow_flags {
	FLOW_F_FIN_CLIENT = 1 << 0, /* the client sent FIN */
	FLOW_F_FIN_BACKEND = 1 << 1, /* the backend sent FIN */
	FLOW_F_SYN_SEQ = 1 << 2, /* syn_seq holds the opening SYN's sequence number */
	/* Bits 3-4: the enum sluice_forwarding_mode the flow was steered with. */
	FLOW_F_MODE_SHIFT = 3,
	FLOW_F_MODE_MASK = 3 << 3,
};

/* Global counters: one slot each in the per-CPU global_counters array. */
enum sluice_counter {
	/* Final actions: these add up to every packet the program saw. */
	CNT_ACTION_ABORTED = 0,
	CNT_ACTION_DROP = 1,
	CNT_ACTION_PASS = 2,
	CNT_ACTION_TX = 3,
	CNT_ACTION_REDIRECT = 4,
	/* Drop reasons. */
	CNT_DROP_MALFORMED =
		5, /* truncated or invalid IP header, or truncated L4 header to a VIP */
	CNT_DROP_FRAGMENT = 6, /* IP fragment to a VIP */
	CNT_DROP_IP_OPTIONS = 7, /* IPv4 options or IPv6 extension header to a VIP */
	CNT_DROP_UNKNOWN_PROTOCOL = 8, /* neither TCP nor UDP to a VIP */
	CNT_DROP_NO_SERVICE = 9, /* VIP address, but no service on that port */
	CNT_DROP_NO_BACKEND = 10, /* service with no eligible backend */
	CNT_DROP_BAD_CHECKSUM = 11, /* IPv6 UDP with checksum 0 to a VIP */
	/* Pass reasons. */
	CNT_PASS_NOT_SERVICE = 12, /* not for us: untouched */
	CNT_PASS_NO_NEIGHBOUR = 13, /* rewritten; the kernel resolves the next hop */
	CNT_PASS_NO_ROUTE = 14, /* rewritten; FIB gave no forwarding answer */
	CNT_PASS_TTL_EXCEEDED = 15, /* rewritten; the kernel sends time exceeded */
	CNT_PASS_NOT_ETHERNET_IP = 16, /* short frame or neither IPv4 nor IPv6: untouched */
	CNT_PASS_VLAN_TAGGED = 17, /* rewritten; the kernel forwards tagged frames */
	/* Flow events. */
	CNT_FLOW_NEW = 18,
	CNT_FLOW_RESTEERED = 19, /* its backend was down or removed */
	CNT_FLOW_CLOSED = 20,
	CNT_FORWARD_PACKETS = 21,
	CNT_REPLY_PACKETS = 22,
	/* Flood protection. */
	CNT_FLOW_HALF_OPEN = 23, /* a TCP SYN recorded in the half-open table */
	CNT_FLOW_PROMOTED = 24, /* handshake completed: moved to the flow table */
	CNT_FLOW_UNTRACKED = 25, /* UDP over the new-flow rate: steered by hash, not recorded */
	CNT_REPLY_UNTRACKED = 26, /* reply of an unrecorded UDP flow: VIP from its only service */
	/*
	 * Appended, never renumbered: an upgrade carries counters over by slot.
	 * A TCP packet that is not a flow's first found no flow while an upgrade
	 * was still copying flows: dropped so that it is retransmitted onto its
	 * own flow, not steered to another backend (see the handover map).
	 */
	CNT_DROP_HANDOVER = 27,
	/* A new connection (TCP SYN, new UDP flow) from a client over its service's client_rate. */
	CNT_DROP_CLIENT_RATE = 28,
	/*
	 * A packet found its flow idle past the flow's timeout (expiry_settings):
	 * the entry was ended and the packet started a flow as if there were none.
	 */
	CNT_FLOW_EXPIRED = 29,
	/*
	 * Forwarding modes. A packet that would not fit the egress MTU once
	 * encapsulated (or, in DSR, as it is): answered with ICMP fragmentation needed / packet too big
	 * carrying the MTU the client must use (the packet itself is dropped).
	 */
	CNT_TUNNEL_TOO_BIG = 30,
	/* A DSR backend the FIB reaches through a gateway (not on-link): dropped, DSR cannot cross a router. */
	CNT_DROP_DSR_NOT_ON_LINK = 31,
	/* A DSR backend whose MAC the kernel has not resolved: dropped (the kernel cannot forward a VIP-addressed frame to it); the agent keeps these resolved. */
	CNT_DROP_DSR_NO_NEIGHBOUR = 32,
	/* A tunnelled service's packet while tunnel_settings has no outer source for its family (or, for GUE, no port). */
	CNT_DROP_TUNNEL_UNCONFIGURED = 33,
	/*
	 * A tunnelled packet the FIB gives no forwarding answer for (no route, or
	 * the next hop's MAC unresolved): dropped, since the kernel would drop an
	 * encapsulated packet whose source is its own address as a martian anyway.
	 */
	CNT_DROP_TUNNEL_NO_NEXT_HOP = 34,
	/*
	 * An IPv4 packet without DF too big for the egress once encapsulated (or,
	 * in DSR, as it is): dropped without an ICMP answer (see too_big.h why).
	 */
	CNT_DROP_TOO_BIG_NO_DF = 35,
	/* A packet too big once encapsulated while this second's ICMP answers are spent (too_big_answers_per_second): dropped unanswered. */
	CNT_DROP_TOO_BIG_RATE = 36,
	/* A flow event (struct flow_event) found the flow_events ring full: the standby misses that change. */
	CNT_FLOW_EVENT_LOST = 37,
	/*
	 * With a sync peer: a TCP packet that is not a connection's first found
	 * no flow, for a service that cannot steer it by its hash alone; dropped
	 * while the peer's event for it may be on the way (AWAIT_PEER_FLOW_NS),
	 * so that its retransmission goes on to its own backend, not another.
	 */
	CNT_DROP_AWAITING_PEER = 38,
	CNT_MAX = 39,
};

/*
 * Base of every flow hash's seed. The seed the program runs with is the
 * load-time setting flow_hash_seed (src/tunables.h): this base XOR the
 * operator's hash seed (`sluice agent --hash-seed`, 0 by default, which
 * keeps this value), derived by the agent (@sluice/dataplane lookup/seed.ts)
 * the same way as Maglev's seeds. Every node of a fleet must run the same
 * one, so that Maglev and source-hash choices agree across nodes and restarts.
 */
#define FLOW_HASH_SEED 0x5d1ce5ed

/* ---- Map keys and values ---- */

/* Is this destination address a VIP at all (any port)? */
struct vip_key {
	__be32 addr[4];
	__u8 family;
	__u8 pad[3];
};

/* Addresses are in network byte order; IPv4 uses addr[0], the rest is zero. */
struct service_key {
	__be32 addr[4];
	__be16 port;
	__u8 protocol; /* IPPROTO_TCP or IPPROTO_UDP */
	__u8 family; /* enum sluice_family */
};

/* Replaced whole by the agent, so a packet sees the old value or the new. */
struct service_config {
	__u32 id; /* index into service_vips, stats and lookup tables */
	__u32 sequence_length; /* slots in use in the round-robin sequence */
	__u8 algorithm; /* enum sluice_algorithm */
	/* enum sluice_forwarding_mode of the service's new flows (a flow keeps its own: FLOW_F_MODE_*). */
	__u8 mode;
	__u8 active_table; /* 0 or 1: which of the two lookup tables is live */
	__u8 flags; /* none defined yet: always zero */
	/* New connections per client address per second; more are dropped. 0: no limit. */
	__u32 client_rate;
};

struct backend {
	__be32 addr[4];
	__be16 port;
	__u8 family;
	__u8 flags; /* enum sluice_backend_flags */
	__u32 service_id; /* a flow is kept only if this still matches */
	__u32 weight; /* least-connections compares active/weight */
};

/* One lookup table: backend ids, filled by Maglev or by a weighted sequence. */
struct lookup_table {
	__u16 slots[LOOKUP_TABLE_SIZE];
};

struct flow_key {
	__be32 src[4];
	__be32 dst[4];
	__be16 src_port;
	__be16 dst_port;
	__u8 protocol;
	__u8 family;
	__u16 pad; /* always zero: part of the hashed key */
};

/*
 * A next-hop cache: the FIB's answer for one destination, reused until
 * NEXT_HOP_TTL_NS passes. checked_ns 0 means nothing cached; max_len is the
 * longest L3 packet the FIB approved (MTU); macs holds the destination then
 * the source MAC. The program reads these four fields, here and in struct
 * flow_value (reply_next_hop_*), as one struct next_hop (forward.h, which
 * checks the offsets).
 *
 * This one is toward a backend, per CPU (issue 14): every flow to the
 * backend shares it, so a flow's first packet finds it too, and the flow
 * entry stays small. It holds for the address and mode it was asked for: a
 * backend id reused for another address, or a flow of another mode, asks
 * the FIB again. With several equal-cost routes toward one backend, each CPU
 * sends all of that backend's flows by the route its last asking packet got
 * (asked again every NEXT_HOP_TTL_NS), not by each flow's own hash.
 */
struct backend_next_hop {
	__be32 addr[4];
	__u32 mode; /* enum sluice_forwarding_mode */
	__u32 pad; /* always zero */
	__u64 checked_ns;
	__u32 ifindex;
	__u16 max_len;
	__u8 macs[2 * 6];
};

/*
 * One entry per flow, keyed by the client -> VIP tuple; replies update the
 * same entry.
 */
#ifdef SLUICE_TEST_FLOW_GENERATION
#define syn_seq syn_seq_v2 /* test-only: see the build switches after struct traffic_counters */
#endif

struct flow_value {
	/*
	 * Ordered by what a packet touches (issue 14). The LRU element is the
	 * kernel's 48-byte header, the 40-byte key, then this: at 104 bytes an
	 * element is 192, three whole cache lines. A forward packet touches
	 * only the first two (the header, the key and the 40 bytes up to
	 * flags); its next hop is the backend's (struct backend_next_hop). The
	 * reply direction's fields, created_ns and syn_seq fill the third.
	 */
	__u64 last_seen_ns; /* last packet in either direction */
	__u64 packets; /* client -> backend */
	__u64 bytes;
	__u32 backend_id;
	__u32 service_id;
	__u32 tcp_state; /* enum sluice_tcp_state; u32 for atomic exchange */
	__u32 flags; /* enum sluice_flow_flags; u32 for atomic or */
	/* The next hop toward the client (see struct backend_next_hop). */
	__u64 reply_next_hop_checked_ns;
	__u32 reply_next_hop_ifindex;
	__u16 reply_next_hop_max_len;
	__u8 reply_next_hop_macs[2 * 6];
	__u64 reply_packets; /* backend -> client */
	__u64 reply_bytes;
	__u64 created_ns; /* when the flow (or its current connection) began */
	/*
	 * Sequence number (network order) of the SYN that opened the current
	 * connection: the same SYN again is a retransmission of that attempt,
	 * never a new connection (see resume_handshake in flow.h).
	 */
	__be32 syn_seq;
	__u32 pad; /* always zero */
#ifdef SLUICE_TEST_EXTRA_FIELDS
	__u64 test_extra; /* test-only build switch: see SLUICE_TEST_EXTRA_FIELDS below */
#endif
};

/*
 * The services a backend endpoint serves, as (service, backend id) pairs:
 * a reply from the endpoint belongs to the flow of one of them.
 */
struct endpoint_owners {
	__u32 count;
	__u32 service_ids[MAX_SERVICES_PER_ENDPOINT];
	__u32 backend_ids[MAX_SERVICES_PER_ENDPOINT];
};

/*
 * Flood settings, one entry written by the agent (zero: off).
 * new_flow_rate_per_cpu: new flows per second per CPU above which UDP flows
 * of consistent-hash services (maglev, source-hash) are not recorded: each
 * packet is steered by its hash, which picks the same backend anyway.
 */
struct flood_settings {
	__u64 new_flow_rate_per_cpu;
};

/*
 * Idle timeouts of flows, one entry written by the agent from the values its
 * GC uses (apps/agent/src/conntrack/timeouts.ts): a packet that finds its flow
 * idle for longer treats it as gone, so an old flow's tuple reused much later
 * gets a fresh choice even when no GC ran. Zero: no expiry for that state.
 */
struct expiry_settings {
	__u64 tcp_syn_sent_ns;
	__u64 tcp_established_ns;
	__u64 tcp_fin_wait_ns;
	__u64 tcp_closed_ns;
	__u64 udp_ns;
};

/*
 * Tunnel settings (ipip, gue), one entry written by the agent.
 * The outer source is an address of the balancer on the network the tunnel
 * leaves on, so no fabric or backend drops it by reverse-path filtering and
 * ICMP errors about the tunnel come back to the balancer. With
 * source*_hash_bits > 0, that many low bits of the source come from the
 * flow hash (the operator routes the whole prefix to the balancer), which
 * spreads IPv4 flows over the fabric's ECMP and the backend's receive
 * queues; IPv6 gets that spread from the flow label (the flow hash) anyway,
 * and GUE from its UDP source port (the flow hash).
 */
struct tunnel_settings {
	__be32 source4;
	__be32 source6[4];
	__be16 gue_port; /* GUE destination port, network order; 0: GUE services drop (not configured) */
	__u8 source4_hash_bits; /* 0..16 */
	__u8 source6_hash_bits; /* 0..32 */
};

/* Per CPU: new flows counted in the current NEW_FLOW_WINDOW_NS. */
struct new_flow_window {
	__u64 started_ns;
	__u64 count;
};

/* A client address of one service: the key of its client rate window. */
struct client_rate_key {
	__be32 addr[4]; /* IPv4 uses addr[0], the rest is zero */
	__u32 service_id;
	__u8 family;
	__u8 pad[3]; /* always zero: part of the hashed key */
};

/* New connections a client attempted (passed or dropped) since started_ns, within one CLIENT_RATE_WINDOW_NS. */
struct client_rate_window {
	__u64 started_ns;
	__u64 count;
};

/* Per service and per backend, per CPU. */
struct traffic_counters {
	__u64 packets; /* client -> backend */
	__u64 bytes;
	__u64 reply_packets; /* backend -> client */
	__u64 reply_bytes;
	__u64 new_flows;
	__u64 drops;
#ifdef SLUICE_TEST_EXTRA_FIELDS
	__u64 test_extra;
#endif
};

/*
 * Why a packet bound for a chosen backend was dropped: a slot each in
 * struct backend_errors. Per backend are only the drops that happen after
 * the choice and say something about the path to that backend: DSR finding
 * it behind a gateway or with no resolved MAC, a tunnel with no next hop to
 * it, a packet too big for the path to it (answered with ICMP, dropped
 * without DF, or dropped over the answer rate). Not per backend: every drop
 * before a backend is chosen (malformed, no service, no backend, client
 * rate, handover), and CNT_DROP_TUNNEL_UNCONFIGURED, the balancer's own
 * tunnel settings missing, which no backend can fix (it stays a service
 * drop and a global reason).
 */
enum sluice_backend_drop {
	BACKEND_DROP_DSR_NOT_ON_LINK = 0,
	BACKEND_DROP_DSR_NO_NEIGHBOUR = 1,
	BACKEND_DROP_TUNNEL_NO_NEXT_HOP = 2,
	BACKEND_DROP_TOO_BIG = 3, /* answered: ICMP fragmentation needed / packet too big */
	BACKEND_DROP_TOO_BIG_NO_DF = 4,
	BACKEND_DROP_TOO_BIG_RATE = 5,
	BACKEND_DROP_MAX = 6,
};

/*
 * Per backend, per CPU: the error signals beside its traffic. Kept apart
 * from struct traffic_counters and struct flow_value, so neither grows:
 * only a drop or a reset touches this entry.
 */
struct backend_errors {
	__u64 drops[BACKEND_DROP_MAX]; /* enum sluice_backend_drop */
	/*
	 * TCP RSTs from the backend on the reply path. Only nat flows' replies
	 * pass the balancer: a dsr/ipip/gue backend answers the client directly,
	 * so its resets are not observable here (the agent says so, not 0).
	 */
	__u64 resets;
};

/*
 * Flow-state sync of an active/standby pair (issue 13): the program tells the
 * agent of a flow's backend choice when it is made, and only then: a flow's
 * first recorded packet (NEW), its handshake completing (ESTABLISHED: moved to
 * the flow table) and a new choice for a known tuple (RESTEERED: its backend
 * went, or a new connection reused the tuple). Like IPVS's sync daemon, which
 * sends on a state change and never per packet, an established packet writes
 * no event. Ends come from the agent's own conntrack sweep.
 */
enum sluice_flow_event_kind {
	FLOW_EVENT_NEW = 0,
	FLOW_EVENT_ESTABLISHED = 1,
	FLOW_EVENT_RESTEERED = 2,
};

/*
 * Bytes of the flow_events ring (a power of two of pages): 4096 events of
 * 64 bytes plus the ring's 8-byte headers, ~3 ms of 1M new flows/s; the agent
 * drains it when woken (apps/agent/src/sync/sender.ts). Overflow is
 * counted (CNT_FLOW_EVENT_LOST); the agent's full resync repairs it.
 */
#ifndef FLOW_EVENTS_BYTES
#define FLOW_EVENTS_BYTES (512 * 1024)
#endif

/* One change of a flow's backend choice, as the standby must learn it. */
struct flow_event {
	__u8 key[sizeof(
		struct flow_key)]; /* the flow's struct flow_key, byte for byte: the agent's map key as is */
	__u32 backend_id;
	__u32 service_id;
	__u32 tcp_state; /* enum sluice_tcp_state after the change */
	__u32 flags; /* enum sluice_flow_flags after the change */
	__u32 kind; /* enum sluice_flow_event_kind */
	__u32 pad; /* always zero: 8-byte multiple */
};

/*
 * Test-only build switches, for the upgrade tests: each builds a second data
 * plane whose map entries differ from the real one's, as another release's
 * would. Never set in a real build.
 * - SLUICE_TEST_FLOW_GENERATION: struct flow_value's field syn_seq is
 *   named syn_seq_v2 (defined before the struct, above), as if a
 *   release had renamed it: same size and place, so today's agent runs it;
 *   an upgrade drops syn_seq and starts syn_seq_v2 at zero.
 *   tests/agent-e2e/upgrade.test.ts upgrades between the two builds.
 * - SLUICE_TEST_EXTRA_FIELDS: struct flow_value and struct traffic_counters
 *   end with one more field (other sizes; loaded only by
 *   packages/dataplane/test/migrate.test.ts, which writes its entries raw).
 */

#endif /* SLUICE_SHARED_H */
