/*
 * What the UDP figures must be checked against, so that a mode which loses
 * datagrams shows up as lost, not as fast: the sinks' counts per run (the
 * datagram arrived the way its mode sends it, and the sample reached the
 * backend's UDP layer) and, per scenario, the balancer's own counters
 * (nothing dropped by any reason; in dsr and ipip, where the UDP service is
 * alone, every datagram it forwarded was counted by a sink).
 */
import type { UdpResult } from './udp.js';

export type SluiceMode = 'nat' | 'dsr' | 'ipip';

/** What the sinks saw over all UDP runs of one scenario in one round. */
export interface UdpTotals {
  sent: number;
  arrived: number;
}

export function addUdpTotals(totals: UdpTotals | undefined, run: UdpResult): UdpTotals {
  return { sent: (totals?.sent ?? 0) + run.sent, arrived: (totals?.arrived ?? 0) + run.arrivedPlain + run.arrivedTunneled };
}

/** Problems with one run, in words (empty when none). `mode` is undefined for the scenarios without Sluice. */
export function udpRunProblems(run: UdpResult, mode: SluiceMode | undefined): string[] {
  const problems: string[] = [];
  if (mode === 'ipip' && run.arrivedPlain > 0) problems.push(`${run.arrivedPlain} datagrams reached the backends unencapsulated in ipip`);
  if (mode !== 'ipip' && run.arrivedTunneled > 0) problems.push(`${run.arrivedTunneled} datagrams reached the backends inside IPIP`);
  if (run.reachedUdp < run.sampled) problems.push(`only ${run.reachedUdp} of the ${run.sampled} sampled datagrams reached the backends' UDP layer`);
  if (run.checksumErrors) problems.push(`${run.checksumErrors} UDP checksum errors at the backends`);
  return problems;
}

const isDrop = (name: string) => name.startsWith('CNT_DROP_') || name === 'CNT_ACTION_ABORTED' || name === 'CNT_ACTION_DROP' || name === 'CNT_TUNNEL_TOO_BIG';

/**
 * The balancer's counters after a scenario, judged: `ok` is false on any drop
 * by reason and, when the UDP service ran alone (`udpOnly`), when what it
 * forwarded differs from what the sinks counted.
 */
export function judgeCounters(counters: Record<string, number>, totals: UdpTotals | undefined, udpOnly: boolean): { ok: boolean; text: string } {
  const drops = Object.entries(counters).filter(([name, count]) => isDrop(name) && count > 0);
  const parts: string[] = [];
  let ok = drops.length === 0;
  parts.push(drops.length ? `DROPS ${drops.map(([n, c]) => `${n.replace('CNT_', '').toLowerCase()}=${c}`).join(' ')}` : 'no drops by reason');
  if (udpOnly && totals) {
    const forwarded = counters.CNT_FORWARD_PACKETS ?? 0;
    if (forwarded === totals.arrived) parts.push(`forwarded ${forwarded} = counted by the sinks ${totals.arrived} (of ${totals.sent} sent)`);
    else {
      ok = false;
      parts.push(`MISMATCH: forwarded ${forwarded}, counted by the sinks ${totals.arrived} (of ${totals.sent} sent)`);
    }
  }
  const all = Object.entries(counters)
    .map(([k, v]) => `${k.replace('CNT_', '').toLowerCase()}=${v}`)
    .join(' ');
  return { ok, text: `${parts.join('; ')} [${all}]` };
}
