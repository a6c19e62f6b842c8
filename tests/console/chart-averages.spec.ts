/* The charts' averaging (apps/web/src/client/charts/averages.ts) against sums worked out by hand: no browser needed. */
import { expect, test } from '@playwright/test';
import { type ChartRow, appendNewer, averageBySteps, recentMean } from '../../apps/web/src/client/charts/averages.ts';

/* A bursty one-second series: 100 every fifth second, 0 between, the comb an operator cannot read. */
const comb = Array.from({ length: 20 }, (_, i) => ({ t: 1_000_000 + i * 1000, Total: i % 5 === 0 ? 100 : 0 }));

test('5 s steps turn a comb between 0 and 100 into its level, 20 per second', () => {
  const steps = averageBySteps(comb, 5000);
  expect(steps).toEqual([
    { t: 1_000_000, Total: 20 },
    { t: 1_005_000, Total: 20 },
    { t: 1_010_000, Total: 20 },
    { t: 1_015_000, Total: 20 },
  ]);
});

test('steps are aligned to the epoch, and a series absent from a sample is not counted as zero', () => {
  const rows: ChartRow[] = [
    { t: 1_002_000, Total: 10 },
    { t: 1_003_000, Total: 20, web: 4 },
    { t: 1_004_000, Total: 30, web: 8 },
    { t: 1_005_000, Total: 40 },
  ];
  expect(averageBySteps(rows, 5000)).toEqual([
    { t: 1_000_000, Total: 20, web: 6 },
    { t: 1_005_000, Total: 40 },
  ]);
  expect(() => averageBySteps(rows, 0)).toThrow(/positive number of ms/);
});

test('the headline is the mean of the newest window, not the last raw sample', () => {
  /* The last raw sample is 0 (between bursts); over the last 5 s the mean is 20. */
  expect(comb.at(-1)!.Total).toBe(0);
  expect(recentMean(comb, 'Total', 5000)).toBe(20);
  expect(recentMean(comb, 'Total', 1000)).toBe(0);
  expect(recentMean(comb, 'web', 5000)).toBeUndefined();
  expect(recentMean([], 'Total', 5000)).toBeUndefined();
});

test('live samples carry the history on from its newest point, without repeating it', () => {
  const history = [
    { t: 1000, Total: 1 },
    { t: 2000, Total: 2 },
  ];
  const live = [
    { t: 1500, Total: 9 },
    { t: 2000, Total: 9 },
    { t: 3000, Total: 3 },
  ];
  expect(appendNewer(history, live)).toEqual([...history, { t: 3000, Total: 3 }]);
  expect(appendNewer([], live)).toEqual(live);
});
