/*
 * sluice fleet: the nodes sharing this node's desired state on etcd (issue
 * 16), asked of any node: each node's version, applied revision, health,
 * announcement and traffic, and "converged N of M at revision R".
 */
import { type FleetNode, type FleetStatus, convergedLine } from '@sluice/api';
import { noMoreThan, parse } from './args.js';
import { connect } from './connection.js';
import { emit } from './output.js';
import { formatAge, formatCount, formatTable } from './table.js';

export const FLEET_USAGE = `sluice fleet                          (the nodes sharing this node's desired state on etcd (--store etcd://...): version,
                                        applied revision, health, announcement, traffic; "converged N of M at revision R")`;

/** Exit code 0 even when not converged: it reports; a script compares converged with the node count (--json). */
export async function fleetCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, {}, 'fleet');
  noMoreThan(positionals, 0, 'fleet');
  const status = await (await connect(values)).node.status.query();
  emit(values.json, status.fleet, () => formatFleet(status.fleet));
}

/** Which node's probes every node applies (fleet/fleet-health.ts). */
export function checkerLine(fleet: Pick<FleetStatus, 'checker' | 'node'>): string {
  if (fleet.checker === null) return 'health checked by: no node yet (every node keeps the last published state)';
  return `health checked by: ${fleet.checker}${fleet.checker === fleet.node ? ' (this node)' : ''}`;
}

/** A node's traffic as it last registered it: "1.2k pps, 3 flows"; "-" from a node that does not register it. */
function trafficCell(traffic: FleetNode['traffic']): string {
  return traffic ? `${formatCount(traffic.pps)} pps, ${formatCount(traffic.activeFlows)} flows` : '-';
}

export function formatFleet(fleet: FleetStatus | null, now = Date.now()): string {
  if (!fleet) return 'fleet: none (this agent keeps its own desired state in SQLite; start it with --store etcd://HOST:PORT to share one)';
  const lines = [
    `fleet store ${fleet.store}: ${fleet.reachable ? 'reachable' : `UNREACHABLE (${fleet.error ?? 'no answer'}): forwarding on the last applied state, changes refused`}`,
    `this node: ${fleet.node}, applied revision ${fleet.appliedRevision}`,
  ];
  if (fleet.refused) lines.push(`REFUSING to apply: ${fleet.refused}`);
  lines.push(checkerLine(fleet));
  if (fleet.reachable) {
    lines.push(convergedLine(fleet));
    lines.push(
      formatTable(
        ['NODE', 'VERSION', 'APPLIED', 'HEALTHY', 'ANNOUNCING', 'TRAFFIC', 'SEEN', 'REASON'],
        fleet.nodes.map((n) => [
          n.node,
          n.version,
          n.appliedRevision,
          n.healthy ? 'yes' : 'NO',
          n.announcing === null ? '-' : n.announcing ? 'yes' : 'no',
          trafficCell(n.traffic),
          `${formatAge(now - n.updatedAt)} ago`,
          n.reason ?? '',
        ]),
      ),
    );
  }
  return lines.join('\n');
}
