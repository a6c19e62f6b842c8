/*
 * The time ranges a chart offers. The agent keeps an hour of one-second
 * points (apps/agent/src/stats/rate-ring.ts), so an hour is the longest.
 * Each range averages its points over a step: one-second rates of bursty
 * traffic swing between zero and the peak and draw a comb, a 5 s mean at
 * 5 min (60 points) and a 30 s mean at 1 h (120 points) draw the level.
 */
export const TIME_RANGES = {
  '5m': { seconds: 300, stepSeconds: 5, label: '5 min' },
  '1h': { seconds: 3600, stepSeconds: 30, label: '1 hour' },
} as const;

export type TimeRangeKey = keyof typeof TIME_RANGES;
export type TimeRange = (typeof TIME_RANGES)[TimeRangeKey] & { key: TimeRangeKey };

export const DEFAULT_RANGE: TimeRangeKey = '5m';

/** The URL's ?range= value as a range; anything else (absent, mistyped) is the default. */
export function timeRangeOf(value: string | null | undefined): TimeRange {
  const key = value && Object.hasOwn(TIME_RANGES, value) ? (value as TimeRangeKey) : DEFAULT_RANGE;
  return { key, ...TIME_RANGES[key] };
}
