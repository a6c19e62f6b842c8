/*
 * sluice node status | drain [--timeout D] | resume | check | role: this
 * balancer node, the facts of the console's Node page: the agent and its data
 * plane (agent.info), then the node as the routers see it (node.status, BGP,
 * issue 12) and as keepalived does (check and role, issue 13).
 */
import type { AgentInfo, NodeStatus, VrrpStatus } from '@sluice/api';
import { isVrrpRole, vrrpRoles } from '@sluice/api/names';
import { UsageError, duration, noMoreThan, parse, positional } from './args.js';
import { connect } from './connection.js';
import { emit } from './output.js';
import { formatAge, formatTable, formatTime } from './table.js';

export const NODE_USAGE = `sluice node status                    (agent version, data-plane build, interfaces and XDP mode, uptime, flow table;
                                        BGP speaker, each peer's BGP and BFD state, the routes BIRD announces; hash seed and
                                        build every node must share; services whose connections a node loss breaks)
  sluice node drain [--timeout D]      (withdraw every route, then wait until open flows end, nothing is forwarded for 3 s, or D (default 5m))
  sluice node resume                   (announce again: each VIP with an eligible backend)
  sluice node check [--timeout D]      (keepalived's vrrp_script: exit 0 when the program is attached, the maps reconciled and the agent
                                        ready; otherwise exit non-zero with one line saying why; D (default 2s) bounds the wait for the agent)
  sluice node role ${vrrpRoles.join('|')} [--instance NAME]
                                       (keepalived's notify hooks: this node's VRRP role, shown in node status and audited when it changes)
      a drain lives in the agent's memory: a restarted agent announces again once it is ready (an upgrade: drain, swap, announce);
      to keep a node out for maintenance, stop its agent or withdraw it at the router`;

export const NODE_VERBS = ['status', 'drain', 'resume', 'check', 'role'] as const;

const DEFAULT_DRAIN_TIMEOUT_MS = 5 * 60_000;

const DRAIN_OUTCOME: Record<NodeStatus['drainPhase'], (status: NodeStatus, timeoutMs: number) => string> = {
  'flows-ended': () => 'drained: no open flows; the node can be stopped (sluice node resume announces again)',
  quiet: (status) =>
    `drained: nothing forwarded for 3 s, the routers send this node nothing; its ${status.activeFlows} open flows went on through the other nodes ` +
    '(they keep their backends with maglev or source-hash). The node can be stopped (sluice node resume announces again)',
  timeout: (status, timeoutMs) =>
    `timeout after ${timeoutMs} ms: ${status.activeFlows} flows still open and still forwarded through this node; stopping now breaks them`,
  none: () => 'not draining any more: the drain was resumed',
  waiting: () => 'still draining',
};
const PROGRESS_EVERY_MS = 1000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/* One warning line per service whose connections a node loss breaks, then the reason and the fix once. */
function nodeLossWarnings(risks: NodeStatus['breakOnNodeLoss']): string[] {
  if (risks.length === 0) return [];
  const lines = risks.map((r) => `warning: ${r.service} (${r.algorithm}): its connections do not survive the loss of this node`);
  lines.push(`  why: ${risks[0]!.reason}`, `  fix: ${risks[0]!.fix}`);
  return lines;
}

/** The agent and its data plane: the same facts as the console's node panel. */
export function formatAgentInfo(info: AgentInfo): string {
  const flows = info.flowTable;
  const tracked = flows.tracked === null ? 'not counted yet' : `${flows.tracked} (${((flows.tracked / flows.capacity) * 100).toFixed(1)}% full)`;
  return [
    `agent: version ${info.version}, pid ${info.pid}, up ${formatAge(info.uptimeMs)} (since ${formatTime(info.startedAt)})`,
    `data plane: build ${info.dataplane.buildId.slice(0, 12)} (sha256 of ${info.dataplane.objectPath}), program id ${info.dataplane.programId}`,
    `interfaces: ${info.attachments.map(formatAttachment).join(', ') || 'none'}`,
    `flow table: ${tracked} of ${info.flowTable.capacity} entries`,
    `pins: ${info.pinDir}; adopted on start: ${info.adoptedMaps ? `${info.adoptedMaps} maps (${info.adoptedMapNames.join(', ')})` : 'none (fresh start)'}`,
  ].join('\n');
}

function formatAttachment(a: AgentInfo['attachments'][number]): string {
  if (a.attached) return `${a.name} (${a.xdpMode})`;
  return a.programId === null ? `${a.name} (NOT attached)` : `${a.name} (another program, id ${a.programId}, ${a.xdpMode})`;
}

export function formatVrrp(vrrp: VrrpStatus | null): string {
  if (!vrrp) return 'vrrp: no role reported (no keepalived notify has called `sluice node role`)';
  const instance = vrrp.instance ? ` of instance ${vrrp.instance}` : '';
  return `vrrp: ${vrrp.role.toUpperCase()}${instance} since ${formatTime(vrrp.since)} (last reported ${formatTime(vrrp.reportedAt)})`;
}

/** Flow sync with the active/standby peer: its state, the lag, what moved and what was refused. */
export function formatSync(sync: NodeStatus['sync']): string[] {
  if (!sync) return ['sync: off (the agent runs without sync settings; a takeover re-steers round-robin and least-connections flows)'];
  const age = sync.lastMessageAgeMs === null ? 'nothing heard yet' : `last frame ${formatAge(sync.lastMessageAgeMs)} ago`;
  const lag = sync.lag.samples
    ? `lag p50 ${sync.lag.p50Ms} ms, p99 ${sync.lag.p99Ms} ms, max ${sync.lag.maxMs} ms, last ${sync.lag.lastMs} ms (${sync.lag.samples} batches)`
    : 'lag: no change received yet';
  const refused = sync.refused.total
    ? `refused ${sync.refused.total} frames (last from ${sync.refused.last!.from} at ${formatTime(sync.refused.last!.at)}: ${sync.refused.last!.reason})`
    : 'refused 0 frames';
  return [
    `sync: ${sync.state.toUpperCase()} with peer ${sync.peer}${sync.peerRole ? ` (${sync.peerRole.toUpperCase()})` : ''} (listening on ${sync.listen}; ${age}; dead after ${formatAge(sync.peerDeadAfterMs)} of silence)`,
    `  in:  ${sync.inbound.connected ? `stream from ${sync.inbound.peerAddress}${sync.inbound.resynced ? ', resynced' : ', resync streaming'}` : 'no stream'}; applied ${sync.inbound.appliedFlows} flows, ${sync.inbound.appliedEnds} ends; ${lag}`,
    `  out: ${sync.outbound.connected ? `connected${sync.outbound.streamingTable ? ', streaming the table' : ''}` : `not connected${sync.outbound.lastError ? ` (${sync.outbound.lastError})` : ''}`}; sent ${sync.outbound.sentFlows} flows, ${sync.outbound.sentEnds} ends, dropped ${sync.outbound.droppedEvents} events; ${refused}`,
    formatSplitBrain(sync.splitBrain),
  ];
}

function formatSplitBrain(split: NonNullable<NodeStatus['sync']>['splitBrain']): string {
  const vips = `this node ${split.holdsVips ? 'holds' : 'does not hold'} the VIPs, the peer ${split.peerHoldsVips === null ? 'has not said' : split.peerHoldsVips ? 'holds them' : 'does not'}`;
  const seen = split.splits ? `${split.splits} split(s) seen, the last at ${formatTime(split.lastSplitAt)}: ${split.lastVerdict}` : 'no split seen';
  const now = split.yielding
    ? `YIELDING since ${formatTime(split.yieldedAt)} (node check fails) until the peer gives up the VIPs or ${formatTime(split.yieldEndsAt)}`
    : split.bothHoldingForMs !== null
      ? `BOTH HOLD the VIPs, for ${formatAge(split.bothHoldingForMs)}`
      : 'ok';
  return `  split brain: ${now}; ${vips}; ${seen}`;
}

export function formatNodeStatus(status: NodeStatus): string {
  const { compat } = status;
  const drainTimeout = status.drainTimeoutMs === null ? '' : `, timeout ${formatAge(status.drainTimeoutMs)}`;
  const lines = [
    formatVrrp(status.vrrp),
    ...formatSync(status.sync),
    `draining: ${status.draining ? `yes, since ${formatTime(status.drainingSince)}${drainTimeout}` : 'no'}    open flows: ${status.activeFlows}`,
    `compat: hash seed ${compat.hashSeed}, lookup table ${compat.lookupTableSize} slots, data plane build ${compat.dataplaneBuild} (the same on every node behind the same routers)`,
    ...nodeLossWarnings(status.breakOnNodeLoss),
  ];
  const bgp = status.bgp;
  if (!bgp) return [...lines, 'bgp: off (the agent runs without --bgp-config; it announces nothing)'].join('\n');
  lines.push(
    `bgp: AS ${bgp.localAs}, router id ${bgp.routerId}; BIRD ${bgp.running ? `running (pid ${bgp.pid}, since ${formatTime(bgp.startedAt)})` : 'NOT running'}` +
      (bgp.restarts ? `, restarted ${bgp.restarts} times` : ''),
  );
  lines.push(`announced: ${bgp.announced.length ? bgp.announced.join(', ') : 'nothing'}${bgp.withheld ? ` (withheld: ${bgp.withheld})` : ''}`);
  if (bgp.error) lines.push(`error: ${bgp.error}`);
  lines.push(
    formatTable(
      ['PEER', 'AS', 'BGP', 'SINCE', 'BFD', 'ROUTES', 'LAST ERROR'],
      bgp.peers.map((p) => [
        p.address,
        String(p.as),
        p.state,
        formatTime(p.since),
        p.bfd ? p.bfd.state : 'off',
        p.routes.length ? p.routes.join(' ') : '-',
        p.lastError ?? '-',
      ]),
    ),
  );
  return lines.join('\n');
}

export async function nodeCommand(argv: string[]): Promise<void> {
  const [verb, ...rest] = argv;
  const command = `node ${verb ?? ''}`.trimEnd();
  const { values, positionals } = parse(rest, { timeout: { type: 'string' }, instance: { type: 'string' } }, command);
  /* node role takes the role; every other verb takes nothing more. */
  noMoreThan(positionals, verb === 'role' ? 1 : 0, command);
  if (values.timeout !== undefined && verb !== 'drain') throw new UsageError('--timeout goes with node drain only');
  if (values.instance !== undefined && verb !== 'role') throw new UsageError('--instance goes with node role only');
  const client = await connect(values);
  switch (verb) {
    case undefined:
    case 'status': {
      const [agent, status] = await Promise.all([client.agent.info.query(), client.node.status.query()]);
      return emit(values.json, { ...status, agent }, () => `${formatAgentInfo(agent)}\n${formatNodeStatus(status)}`);
    }
    case 'drain': {
      const timeoutMs = duration('timeout', values.timeout) ?? DEFAULT_DRAIN_TIMEOUT_MS;
      const withdrawn = await client.node.drain.mutate({ timeoutMs });
      if (!values.json)
        process.stdout.write(
          `routes withdrawn (BIRD announces: ${withdrawn.bgp?.announced.join(', ') || 'nothing'}); waiting for ${withdrawn.activeFlows} open flows\n`,
        );
      let status = withdrawn;
      /* The agent judges the drain (node.status drainPhase): open flows ended, the node quiet, or the timeout. */
      while (status.drainPhase === 'waiting') {
        await sleep(PROGRESS_EVERY_MS);
        status = await client.node.status.query();
        if (!values.json)
          process.stdout.write(`  ${status.activeFlows} open flows, last packet forwarded ${formatAge(Date.now() - status.lastForwardedAt)} ago\n`);
      }
      const ended = status.drainPhase === 'flows-ended';
      return emit(values.json, { ...status, flowsEnded: ended }, () => DRAIN_OUTCOME[status.drainPhase](status, timeoutMs));
    }
    case 'resume': {
      const status = await client.node.resume.mutate();
      return emit(values.json, status, () => `resumed\n${formatNodeStatus(status)}`);
    }
    case 'role': {
      const role = positional(positionals, 0, 'role', NODE_USAGE).toLowerCase();
      if (!isVrrpRole(role)) throw new UsageError(`node role: the role is one of ${vrrpRoles.join(', ')}\nusage: ${NODE_USAGE}`);
      const vrrp = await client.node.role.mutate({ role, ...(values.instance ? { instance: values.instance } : {}) });
      return emit(values.json, vrrp, () => formatVrrp(vrrp));
    }
    default:
      throw new UsageError(`unknown node command "${verb}"\nusage: ${NODE_USAGE}`);
  }
}
