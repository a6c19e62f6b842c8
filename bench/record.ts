/*
 * One figure of the benchmark, as latest.json stores it. Every figure is
 * taken beside its reference in the same run (the machines are shared and
 * noisy, so only same-run ratios mean anything).
 */
import { median, round, spread } from './stats.js';

export type Section = 'packet-cost' | 'control-plane' | 'forwarding';

export interface BenchRecord {
  section: Section;
  /** Stable, readable id, e.g. "packet-cost/established/1-flow/ipv4-tcp". */
  name: string;
  /** Median over runs; null when the figure could not be measured here. */
  value: number | null;
  unit: string;
  /** What the figure is compared with in the same run (the floor, a peer, or a goal). */
  referenceName: string | null;
  referenceValue: number | null;
  /** Median of the per-run ratios value / reference. */
  ratio: number | null;
  runs: number;
  /** (max - min) / median of the per-run values: how much the runs disagree. */
  spread: number | null;
  /** How it was measured, a failed sanity check, or why it was not measured. */
  note?: string;
}

export function notMeasured(section: Section, name: string, unit: string, reason: string): BenchRecord {
  return { section, name, value: null, unit, referenceName: null, referenceValue: null, ratio: null, runs: 0, spread: null, note: `not measured: ${reason}` };
}

/**
 * A figure held against a fixed goal rather than a peer in the same run: one
 * reading, or the median of several samples with their spread. `digits`:
 * significant digits kept of the value.
 */
export function againstGoal(
  section: Section,
  name: string,
  unit: string,
  goal: number,
  measured: number | readonly number[],
  note: string,
  digits = 4,
): BenchRecord {
  const samples = typeof measured === 'number' ? [measured] : measured;
  const value = median(samples);
  return {
    section,
    name,
    value: round(value, digits),
    unit,
    referenceName: 'goal',
    referenceValue: goal,
    ratio: round(value / goal, 3),
    runs: samples.length,
    spread: round(spread(samples), 3),
    note,
  };
}
