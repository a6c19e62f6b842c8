/* What the agent hands the metrics endpoint at each scrape. */

export interface TrafficSnapshot {
  packets: number;
  bytes: number;
  replyPackets: number;
  replyBytes: number;
  newFlows: number;
  drops: number;
  activeFlows: number;
}

export interface MetricsSnapshot {
  version: string;
  /** StatsSampler.totals().global: enum sluice_counter by lower-case name (action_pass, drop_no_backend, ...). */
  global: Record<string, number>;
  /** Forward entries in the flow table (the GC's last sweep). */
  flowsTracked: number;
  /** Services by name ("198.18.100.1:80/tcp"). */
  services: (TrafficSnapshot & { service: string })[];
  backends: (TrafficSnapshot & { service: string; backend: string; up: boolean; weight: number; state?: string })[];
}
