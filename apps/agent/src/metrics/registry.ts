/*
 * The Prometheus metrics of one agent, in their own Registry (never the
 * global one, so nothing else in the process can collide with them).
 *
 * The data plane keeps absolute counters; prom-client's Counter has no
 * set(), so each counter's collect() resets it and adds the absolute value
 * (inc by the value from zero). The exposed TYPE stays `counter`, values
 * stay monotonic as long as the data plane's are, and series of removed
 * services and backends disappear with the reset.
 *
 * Names and labels are an interface: dashboards and alerts depend on them.
 * Change one only with a new name.
 */
import { Counter, Gauge, Registry } from 'prom-client';
import { BACKEND_DROP_REASONS, type TrafficTotals, syncRefusalReasons, syncStates, vrrpRoles } from '@sluice/api';
import type { MetricsSnapshot } from './types.js';

type Current = () => MetricsSnapshot;
type LabelSet = Record<string, string>;

type Values = (s: MetricsSnapshot) => [LabelSet, number][];

/*
 * Counter and Gauge factories bound to one registry and its snapshot source.
 * A series with nothing to say has no sample: reset() alone leaves a metric
 * without labels at 0 (prom-client's default), which would show a node
 * without sync or BGP as a healthy one with nothing done.
 */
function definer(registry: Registry, current: Current) {
  return {
    counter(name: string, help: string, labelNames: string[], values: Values) {
      new Counter({
        name,
        help,
        labelNames,
        registers: [registry],
        collect() {
          const now = values(current());
          this.reset();
          if (now.length === 0) this.remove({});
          for (const [labels, value] of now) this.inc(labels, Math.max(0, value));
        },
      });
    },
    gauge(name: string, help: string, labelNames: string[], values: Values) {
      new Gauge({
        name,
        help,
        labelNames,
        registers: [registry],
        collect() {
          const now = values(current());
          this.reset();
          if (now.length === 0) this.remove({});
          for (const [labels, value] of now) this.set(labels, value);
        },
      });
    },
  };
}

/* enum sluice_counter names by group: action_*, drop_*, pass_*, flow_*. */
const grouped = (s: MetricsSnapshot, prefix: string, label: string): [LabelSet, number][] =>
  Object.entries(s.global)
    .filter(([name]) => name.startsWith(prefix))
    .map(([name, value]) => [{ [label]: name.slice(prefix.length) }, value]);

const directions = (labels: LabelSet, t: TrafficTotals, forward: keyof TrafficTotals, reply: keyof TrafficTotals): [LabelSet, number][] => [
  [{ ...labels, direction: 'forward' }, t[forward]],
  [{ ...labels, direction: 'reply' }, t[reply]],
];

export function createMetricsRegistry(current: Current): Registry {
  const registry = new Registry();
  const { counter, gauge } = definer(registry, current);
  const svc = (s: MetricsSnapshot) => s.services.map((x) => [{ service: x.service }, x] as const);
  const be = (s: MetricsSnapshot) => s.backends.map((x) => [{ service: x.service, backend: x.backend }, x] as const);

  gauge('sluice_agent_info', 'The running agent; always 1.', ['version'], (s) => [[{ version: s.version }, 1]]);
  counter('sluice_packets_total', 'Packets by the XDP action taken (they add up to every packet seen).', ['action'], (s) => grouped(s, 'action_', 'action'));
  counter('sluice_drops_total', 'Packets dropped, by reason.', ['reason'], (s) => grouped(s, 'drop_', 'reason'));
  counter('sluice_passes_total', 'Packets passed to the kernel, by reason.', ['reason'], (s) => grouped(s, 'pass_', 'reason'));
  counter(
    'sluice_flow_events_total',
    'Flow events: new, resteered (backend down or removed), expired (idle past its timeout, ended by the data plane), closed.',
    ['event'],
    (s) => grouped(s, 'flow_', 'event'),
  );
  gauge('sluice_flows_tracked', 'Flows in the connection table (at the last GC sweep).', [], (s) => [[{}, s.flowsTracked]]);
  gauge('sluice_flow_table_capacity', 'Entries the connection table holds at most (--flow-table-size).', [], (s) => [[{}, s.flowTableCapacity]]);

  counter('sluice_service_packets_total', 'Packets of a service: forward (client to backend) and reply.', ['service', 'direction'], (s) =>
    svc(s).flatMap(([l, t]) => directions(l, t, 'packets', 'replyPackets')),
  );
  counter('sluice_service_bytes_total', 'Bytes of a service (whole frames).', ['service', 'direction'], (s) =>
    svc(s).flatMap(([l, t]) => directions(l, t, 'bytes', 'replyBytes')),
  );
  counter('sluice_service_new_flows_total', 'Flows a service started.', ['service'], (s) => svc(s).map(([l, t]) => [l, t.newFlows]));
  counter('sluice_service_drops_total', 'Packets of a service dropped (no eligible backend).', ['service'], (s) => svc(s).map(([l, t]) => [l, t.drops]));
  gauge(
    'sluice_service_eligible_backends',
    'Backends of a service that can take a new connection: health up, admin state ready, weight > 0. At 0 the service drops new connections.',
    ['service'],
    (s) => svc(s).map(([l, t]) => [l, t.eligibleBackends]),
  );
  gauge('sluice_service_active_flows', 'Open flows of a service (sum of its backends).', ['service'], (s) => svc(s).map(([l, t]) => [l, t.activeFlows]));

  counter('sluice_backend_packets_total', 'Packets of a backend: forward and reply.', ['service', 'backend', 'direction'], (s) =>
    be(s).flatMap(([l, t]) => directions(l, t, 'packets', 'replyPackets')),
  );
  counter('sluice_backend_bytes_total', 'Bytes of a backend (whole frames).', ['service', 'backend', 'direction'], (s) =>
    be(s).flatMap(([l, t]) => directions(l, t, 'bytes', 'replyBytes')),
  );
  counter('sluice_backend_new_flows_total', 'Flows steered to a backend.', ['service', 'backend'], (s) => be(s).map(([l, t]) => [l, t.newFlows]));
  gauge('sluice_backend_active_flows', 'Open flows of a backend (what least-connections compares).', ['service', 'backend'], (s) =>
    be(s).map(([l, t]) => [l, t.activeFlows]),
  );
  gauge('sluice_backend_up', 'Health of a backend: 1 up, 0 down.', ['service', 'backend'], (s) => be(s).map(([l, t]) => [l, t.up ? 1 : 0]));
  gauge('sluice_backend_weight', 'Configured weight of a backend.', ['service', 'backend'], (s) => be(s).map(([l, t]) => [l, t.weight]));
  gauge('sluice_backend_admin_state', 'Admin state of a backend: 1 for its current state (ready, drain, maint).', ['service', 'backend', 'state'], (s) =>
    s.backends.filter((b) => b.state !== undefined).map((b) => [{ service: b.service, backend: b.backend, state: b.state! }, 1]),
  );

  /*
   * A backend's error signals (issue 15). A series the service's mode cannot
   * observe is absent, never 0: resets and unanswered SYNs exist for nat
   * backends only, incomplete handshakes for dsr/ipip/gue ones.
   */
  const errs = (s: MetricsSnapshot) => s.backends.flatMap((x) => (x.errors ? [[{ service: x.service, backend: x.backend }, x.errors] as const] : []));
  counter(
    'sluice_backend_drops_total',
    'Packets dropped after this backend was chosen, by reason: dsr_not_on_link, dsr_no_neighbour, tunnel_no_next_hop, too_big (answered with ICMP), too_big_no_df, too_big_rate.',
    ['service', 'backend', 'reason'],
    (s) => errs(s).flatMap(([l, e]) => BACKEND_DROP_REASONS.map((reason) => [{ ...l, reason }, e.drops[reason]] as [LabelSet, number])),
  );
  counter(
    'sluice_backend_resets_total',
    'TCP resets the backend sent (nat backends only: other modes reply around the balancer).',
    ['service', 'backend'],
    (s) => errs(s).flatMap(([l, e]) => (e.resets === null ? [] : [[l, e.resets] as [LabelSet, number]])),
  );
  counter(
    'sluice_backend_failed_handshakes_total',
    'TCP handshakes that never completed, found by the conntrack GC: kind="unanswered" (nat: the backend never answered the SYN) or kind="incomplete" (dsr/ipip/gue: the client never completed it).',
    ['service', 'backend', 'kind'],
    (s) =>
      errs(s).flatMap(([l, e]) => [
        ...(e.unansweredSyns === null ? [] : [[{ ...l, kind: 'unanswered' }, e.unansweredSyns] as [LabelSet, number]]),
        ...(e.incompleteHandshakes === null ? [] : [[{ ...l, kind: 'incomplete' }, e.incompleteHandshakes] as [LabelSet, number]]),
      ]),
  );
  gauge(
    'sluice_backend_health_latency_seconds',
    "The backend's last health probe's latency (absent without a check or before the first probe).",
    ['service', 'backend'],
    (s) => errs(s).flatMap(([l, e]) => (e.healthLatencyMs === null ? [] : [[l, e.healthLatencyMs / 1000] as [LabelSet, number]])),
  );

  /* The node and its BGP speaker (issue 12); the bgp series exist only with --bgp-config. */
  const peers = (s: MetricsSnapshot) => s.node?.bgp?.peers ?? [];
  gauge('sluice_node_draining', 'This node is drained (`sluice node drain`): 1, its routes withdrawn.', [], (s) =>
    s.node ? [[{}, s.node.draining ? 1 : 0]] : [],
  );
  gauge(
    'sluice_node_info',
    'What every node behind the same routers must share (hash seed, lookup table size, data plane build); always 1. Nodes whose labels differ pick different backends for a moved flow.',
    ['hash_seed', 'lookup_table_size', 'dataplane_build'],
    (s) =>
      s.node
        ? [
            [
              {
                hash_seed: String(s.node.compat.hashSeed),
                lookup_table_size: String(s.node.compat.lookupTableSize),
                dataplane_build: s.node.compat.dataplaneBuild,
              },
              1,
            ],
          ]
        : [],
  );
  /* One series per keepalived state, 1 for the one it reported last; none before its first notify (issue 13). */
  gauge(
    'sluice_vrrp_role',
    "This node's VRRP role as keepalived last reported it (its notify FIFO or `sluice node role`): 1 for the current role, 0 for the others.",
    ['role'],
    (s) => (s.node?.vrrpRole ? vrrpRoles.map((role) => [{ role }, role === s.node!.vrrpRole ? 1 : 0]) : []),
  );
  /* Flow sync of an active/standby pair (issue 13); no series without sync settings. */
  const sync = (s: MetricsSnapshot) => s.node?.sync ?? null;
  gauge('sluice_sync_state', 'Flow sync with the peer: 1 for the current state (in-sync, peer-dead, syncing), 0 for the others.', ['state'], (s) => {
    const now = sync(s);
    return now ? syncStates.map((state) => [{ state }, state === now.state ? 1 : 0]) : [];
  });
  gauge(
    'sluice_sync_lag_milliseconds',
    "From the peer reading a flow event off its ring to the entry written here, over the last 1024 batches (peer's clock).",
    ['quantile'],
    (s) => {
      const lag = sync(s)?.lag;
      if (!lag || lag.samples === 0) return [];
      return [
        [{ quantile: '0.5' }, lag.p50Ms!],
        [{ quantile: '0.99' }, lag.p99Ms!],
        [{ quantile: '1' }, lag.maxMs!],
      ];
    },
  );
  counter(
    'sluice_sync_refused_total',
    'Sync frames refused (wrong key, replay, malformed); each closed its connection and changed nothing.',
    ['reason'],
    (s) => {
      const refused = sync(s)?.refused;
      return refused ? syncRefusalReasons.map((reason) => [{ reason }, refused.byReason[reason] ?? 0]) : [];
    },
  );
  counter('sluice_sync_flows_applied_total', "Flows from the peer's stream written into this node's tables.", [], (s) =>
    sync(s) ? [[{}, sync(s)!.inbound.appliedFlows]] : [],
  );
  counter('sluice_sync_flows_sent_total', 'Flows this node streamed to its peer (changes, resyncs and refreshes).', [], (s) =>
    sync(s) ? [[{}, sync(s)!.outbound.sentFlows]] : [],
  );
  counter('sluice_sync_events_dropped_total', 'Flow events not streamed (no connection: the next resync carries them; or a backend unknown).', [], (s) =>
    sync(s) ? [[{}, sync(s)!.outbound.droppedEvents]] : [],
  );
  counter('sluice_sync_split_brains_total', 'Split brains seen: both nodes held the VIPs past the confirm window (each overlap once).', [], (s) =>
    sync(s) ? [[{}, sync(s)!.splitBrain.splits]] : [],
  );
  gauge('sluice_sync_yielding', 'This node yields after a split brain (its node check fails while the peer holds the VIPs): 1, else 0.', [], (s) =>
    sync(s) ? [[{}, sync(s)!.splitBrain.yielding ? 1 : 0]] : [],
  );
  gauge('sluice_bgp_speaker_up', "This node's BIRD runs: 1, or 0 (it announces nothing).", [], (s) => (s.node?.bgp ? [[{}, s.node.bgp.running ? 1 : 0]] : []));
  gauge('sluice_bgp_peer_up', 'BGP session to a router: 1 established, 0 otherwise.', ['peer'], (s) =>
    peers(s).map((p) => [{ peer: p.address }, p.established ? 1 : 0]),
  );
  gauge('sluice_bgp_peer_bfd_up', 'BFD session to a router: 1 up, 0 down (absent with BFD off).', ['peer'], (s) =>
    peers(s)
      .filter((p) => p.bfdUp !== null)
      .map((p) => [{ peer: p.address }, p.bfdUp ? 1 : 0]),
  );
  gauge('sluice_bgp_routes_announced', 'Prefixes BIRD exports to a router now (read from BIRD).', ['peer'], (s) =>
    peers(s).map((p) => [{ peer: p.address }, p.routes]),
  );

  /* The agent itself: while its loop is late it serves no API call, node check or flow sync. */
  gauge(
    'sluice_agent_event_loop_delay_seconds',
    "How late the agent's event loop ran since the previous scrape (quantile 1: the longest delay).",
    ['quantile'],
    (s) =>
      s.eventLoop
        ? [
            [{ quantile: '0.5' }, s.eventLoop.p50Ms / 1000],
            [{ quantile: '0.99' }, s.eventLoop.p99Ms / 1000],
            [{ quantile: '1' }, s.eventLoop.maxMs / 1000],
          ]
        : [],
  );
  counter('sluice_agent_event_loop_stalls_total', "Stalls of a second or more of the agent's event loop (each logged with its length).", [], (s) =>
    s.eventLoop ? [[{}, s.eventLoop.stalls]] : [],
  );
  return registry;
}
