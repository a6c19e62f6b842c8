/* What the agent hands the metrics endpoint at each scrape. */
import type { BackendErrorTotals, SyncStatus, TrafficTotals } from '@sluice/api';
import type { EventLoopDelay } from './event-loop-watch.js';

export interface MetricsSnapshot {
  version: string;
  /** StatsSampler.totals().global: enum sluice_counter by lower-case name (action_pass, drop_no_backend, ...). */
  global: Record<string, number>;
  /** Forward entries in the flow table (the GC's last sweep). */
  flowsTracked: number;
  /** Entries the flow table holds at most (--flow-table-size): the alert on a nearly full table divides by it. */
  flowTableCapacity: number;
  /** Services by name ("198.18.100.1:80/tcp"). */
  /** eligibleBackends: backends that can take a new connection (health up, ready, weight > 0), as announcing judges them. */
  services: (TrafficTotals & { service: string; eligibleBackends: number })[];
  /** errors: the backend's error signals (absent in snapshots that predate them: tests). */
  backends: (TrafficTotals & { service: string; backend: string; up: boolean; weight: number; state?: string; errors?: BackendErrorTotals })[];
  /** This node's announcements; absent in snapshots that predate them (tests). */
  node?: {
    draining: boolean;
    /** What every node of a fleet must share (node.status compat). */
    compat: { hashSeed: number; lookupTableSize: number; dataplaneBuild: string };
    /** null: no BGP speaker (the agent runs without --bgp-config). */
    bgp: { running: boolean; peers: { address: string; established: boolean; bfdUp: boolean | null; routes: number }[] } | null;
    /** The VRRP role keepalived last reported (its notify FIFO or `sluice node role`); null: none reported. */
    vrrpRole?: string | null;
    /** Flow sync with the active/standby peer; null or absent: no sync settings. */
    sync?: SyncStatus | null;
  };
  /** The agent's event loop since the last scrape; null or absent: not watched (tests). */
  eventLoop?: EventLoopDelay | null;
}
