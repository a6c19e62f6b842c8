/*
 * Chart rows averaged over fixed steps. A row is one sample: its time `t`
 * (epoch ms) and a value per series. Steps are aligned to the epoch (floor of
 * t / step), so a row never moves from one step to another as new samples
 * arrive and the drawn history stays still while the newest step fills.
 */
export type ChartRow = { t: number } & Record<string, number>;

/**
 * One row per step that has samples, at the step's start: each series the
 * mean of the samples that have it (a series absent from a sample, e.g. a
 * service created mid-step, is not counted as zero).
 */
export function averageBySteps(rows: readonly ChartRow[], stepMs: number): ChartRow[] {
  if (!(stepMs > 0)) throw new RangeError(`the averaging step must be a positive number of ms, not ${stepMs}`);
  const steps = new Map<number, { sums: Map<string, number>; counts: Map<string, number> }>();
  for (const row of rows) {
    const start = Math.floor(row.t / stepMs) * stepMs;
    let step = steps.get(start);
    if (!step) steps.set(start, (step = { sums: new Map(), counts: new Map() }));
    for (const [series, value] of Object.entries(row)) {
      if (series === 't' || !Number.isFinite(value)) continue;
      step.sums.set(series, (step.sums.get(series) ?? 0) + value);
      step.counts.set(series, (step.counts.get(series) ?? 0) + 1);
    }
  }
  return [...steps.entries()]
    .sort(([a], [b]) => a - b)
    .map(([t, { sums, counts }]) => {
      const row: ChartRow = { t };
      for (const [series, sum] of sums) row[series] = sum / counts.get(series)!;
      return row;
    });
}

/**
 * The mean of one series over the newest `windowMs` of rows (those with t
 * after the newest t minus the window): the headline figure beside a chart.
 * undefined when no row in the window has the series.
 */
export function recentMean(rows: readonly ChartRow[], series: string, windowMs: number): number | undefined {
  const newest = rows.at(-1)?.t;
  if (newest === undefined) return undefined;
  let sum = 0;
  let count = 0;
  for (let i = rows.length - 1; i >= 0 && rows[i]!.t > newest - windowMs; i--) {
    const value = rows[i]![series];
    if (value === undefined || !Number.isFinite(value)) continue;
    sum += value;
    count++;
  }
  return count === 0 ? undefined : sum / count;
}

/** Rows of two sources in time order, one row per time: the history, then the live samples newer than its last. */
export function appendNewer(history: readonly ChartRow[], live: readonly ChartRow[]): ChartRow[] {
  const last = history.at(-1)?.t ?? Number.NEGATIVE_INFINITY;
  return [...history, ...live.filter((row) => row.t > last)];
}
