/* The chart's time range, as a group of toggle buttons; the choice goes to the URL (client/charts/use-time-range.ts). */
'use client';
import { TIME_RANGES, type TimeRange, type TimeRangeKey } from '@/client/charts/time-range.ts';

export function TimeRangePicker({ range, onChange }: { range: TimeRange; onChange: (key: TimeRangeKey) => void }) {
  return (
    <fieldset className="range-picker" data-testid="time-range" data-range={range.key}>
      <legend className="sr-only">Time range</legend>
      {(Object.keys(TIME_RANGES) as TimeRangeKey[]).map((key) => (
        <button
          key={key}
          type="button"
          className="button button-small"
          aria-pressed={range.key === key}
          data-testid={`range-${key}`}
          onClick={() => onChange(key)}
        >
          Last {TIME_RANGES[key].label}
        </button>
      ))}
    </fieldset>
  );
}
