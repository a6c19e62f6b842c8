/*
 * The agent's resident memory over the soak: VmRSS from /proc/PID/status
 * every few seconds. Each agent process is one series (a restart starts a new
 * one). The slope is pooled over the series: each series' samples after its
 * warm-up are centred on their own means and one line is fitted through all
 * of them, so a restart's fresh, smaller heap never reads as a fall, and a
 * leak that grows in every series adds up instead of being cut into pieces.
 */
import { readFileSync } from 'node:fs';

export interface RssSample {
  series: number;
  pid: number;
  /** Epoch ms. */
  t: number;
  /** Seconds since this series' agent started. */
  age: number;
  rssMb: number;
}

export interface MemoryReport {
  samples: number;
  series: number;
  firstMb: number | null;
  lastMb: number | null;
  maxMb: number | null;
  warmUpSeconds: number;
  /** Samples after the warm-up that the slope is fitted on. */
  fittedSamples: number;
  /** Seconds of agent life after the warm-up, summed over series. */
  fittedSeconds: number;
  /** Pooled least-squares slope after the warm-up, MB per minute; null with too few samples. */
  slopeMbPerMinute: number | null;
}

/** VmRSS of a process in MB, or null when it is gone. */
export function readRssMb(pid: number): number | null {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : null;
  } catch {
    return null;
  }
}

export function memoryReport(samples: RssSample[], warmUpSeconds: number): MemoryReport {
  const rss = samples.map((s) => s.rssMb);
  const fitted = samples.filter((s) => s.age >= warmUpSeconds);
  const bySeries = new Map<number, RssSample[]>();
  for (const s of fitted) bySeries.set(s.series, [...(bySeries.get(s.series) ?? []), s]);
  let covariance = 0;
  let variance = 0;
  let fittedSeconds = 0;
  for (const series of bySeries.values()) {
    if (series.length < 2) continue;
    const meanT = series.reduce((n, s) => n + s.t, 0) / series.length;
    const meanM = series.reduce((n, s) => n + s.rssMb, 0) / series.length;
    for (const s of series) {
      covariance += (s.t - meanT) * (s.rssMb - meanM);
      variance += (s.t - meanT) ** 2;
    }
    fittedSeconds += (series.at(-1)!.t - series[0]!.t) / 1000;
  }
  return {
    samples: samples.length,
    series: new Set(samples.map((s) => s.series)).size,
    firstMb: rss[0] ?? null,
    lastMb: rss.at(-1) ?? null,
    maxMb: rss.length ? Math.max(...rss) : null,
    warmUpSeconds,
    fittedSamples: fitted.length,
    fittedSeconds,
    slopeMbPerMinute: variance > 0 ? (covariance / variance) * 60_000 : null,
  };
}
