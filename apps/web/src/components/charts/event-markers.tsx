/*
 * The range's events on a chart: one plain SVG line each, placed by the
 * chart's own x scale. A recharts ReferenceLine per event registers itself
 * in the chart's store; with 500 events in the range (the events query's
 * limit) on each of the four charts, the overview took over 20 s to show
 * and re-rendered no faster than that (bench control-plane/console).
 */
'use client';
import { usePlotArea, useXAxisScale } from 'recharts';
import type { ChartEvent } from '@/client/charts/chart-events.ts';
import { markerColor } from './series-colors.ts';

export function EventMarkers({ markers }: { markers: readonly ChartEvent[] }) {
  const x = useXAxisScale();
  const area = usePlotArea();
  if (!x || !area) return null;
  return (
    <g className="event-markers">
      {markers.map((marker) => {
        const at = x(marker.at);
        if (at === undefined || !Number.isFinite(at)) return null;
        return (
          <line
            key={marker.id}
            x1={at}
            x2={at}
            y1={area.y}
            y2={area.y + area.height}
            stroke={markerColor(marker.kind)}
            strokeDasharray="4 3"
            className={`event-marker event-${marker.kind}`}
          />
        );
      })}
    </g>
  );
}
