/* The soak's result in a few plain sentences, for the terminal and the end of the JSON. */
import type { SoakResult } from './soak.js';

const mb = (x: number | null) => (x === null ? 'n/a' : `${x.toFixed(1)} MB`);

export function soakSummary(r: SoakResult, goals: { maxSlopeMbPerMinute: number }): string[] {
  const t = r.traffic as Record<string, { ok: number; failed: number } & Record<string, number>>;
  const requests = ['http', 'udp', 'hold'].reduce((n, k) => n + (t[k]?.ok ?? 0) + (t[k]?.failed ?? 0), 0);
  const kinds = new Map<string, number>();
  for (const op of r.operations) kinds.set(op.kind, (kinds.get(op.kind) ?? 0) + 1);
  const excusedFailures = r.failures.length - r.attributableFailures;
  const slope = r.memory.slopeMbPerMinute;
  const lines = [
    `Seed ${r.seed} (replay: pnpm soak --seed ${r.seed} --seconds ${r.bounds.seconds} --operations ${r.bounds.operations}), ${r.seconds.toFixed(0)} s.`,
    `${r.operations.length} operations (${[...kinds].map(([k, n]) => `${k} ${n}`).join(', ')}); ${r.operationErrors} failed.`,
    `${requests} requests (HTTP ${t.http?.ok ?? 0}+${t.http?.failed ?? 0} failed, UDP ${t.udp?.ok ?? 0}+${t.udp?.failed ?? 0} failed, connection opens ${t.hold?.ok ?? 0}+${t.hold?.failed ?? 0} failed): ` +
      `${r.failures.length} failed, ${excusedFailures} of them on a backend whose server was killed, ${r.attributableFailures} attributable to Sluice (goal 0).`,
    `${r.holds.opened} long-lived connections, ${t.holds?.lines ?? 0} lines exchanged: ${r.holds.broken} ended early, ${r.holds.excused} because their backend was killed or removed, ${r.holds.attributableBroken} broken by Sluice (goal 0).`,
    `Agent RSS over ${r.memory.series} process(es): first ${mb(r.memory.firstMb)}, last ${mb(r.memory.lastMb)}, max ${mb(r.memory.maxMb)}; ` +
      `slope after a ${r.memory.warmUpSeconds} s warm-up ${slope === null ? 'n/a' : `${slope.toFixed(2)} MB/min`} over ${r.memory.fittedSeconds.toFixed(0)} s (goal: flat, under ${goals.maxSlopeMbPerMinute} MB/min).`,
  ];
  const lags = r.deathEffects.map((d) => d.lastTcpStartAfterS).filter((x): x is number => x !== null);
  if (r.deathEffects.length) {
    lines.push(
      `${r.deathEffects.length} backend servers killed: ${r.deathEffects.reduce((n, d) => n + d.tcpFailures, 0)} TCP and ${r.deathEffects.reduce((n, d) => n + d.udpFailures, 0)} UDP requests failed on them; ` +
        `the last TCP request sent to a killed server started ${lags.length ? `${Math.max(...lags).toFixed(1)} s` : 'n/a'} after its kill (health checks: 500 ms interval, fall 2; UDP has no check).`,
    );
  }
  if (r.trafficErrors.length) lines.push(`Traffic or lookup errors: ${r.trafficErrors.slice(0, 5).join(' | ')}`);
  return lines;
}
