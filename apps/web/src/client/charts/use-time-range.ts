/*
 * The chart's time range lives in the URL (?range=1h), so a reload keeps it
 * and a link opens the same view. Other query parameters are kept as they are.
 */
'use client';
import { usePathname, useRouter, useSearchParams } from 'next/navigation';
import { useCallback } from 'react';
import { DEFAULT_RANGE, type TimeRange, type TimeRangeKey, timeRangeOf } from './time-range.ts';

export const RANGE_PARAM = 'range';

export function useTimeRange(): [TimeRange, (key: TimeRangeKey) => void] {
  const params = useSearchParams();
  const router = useRouter();
  const pathname = usePathname();
  const range = timeRangeOf(params.get(RANGE_PARAM));
  const setRange = useCallback(
    (key: TimeRangeKey) => {
      const next = new URLSearchParams(params.toString());
      /* The default stays out of the URL: a plain link to the page shows it. */
      if (key === DEFAULT_RANGE) next.delete(RANGE_PARAM);
      else next.set(RANGE_PARAM, key);
      const query = next.toString();
      router.replace(query ? `${pathname}?${query}` : pathname, { scroll: false });
    },
    [params, router, pathname],
  );
  return [range, setRange];
}
