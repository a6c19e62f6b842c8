/* One rate over time, a line per series (the total and each service or backend), with the range's events as markers. */
'use client';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { ChartEvent } from '@/client/charts/chart-events.ts';
import { clock } from '@/client/format.ts';
import { EventMarkers } from './event-markers.tsx';
import { seriesColor } from './series-colors.ts';

export interface RateChartProps {
  title: string;
  /** One row per step: { t, [series]: value }, averaged (client/charts/averages.ts). */
  rows: Record<string, number>[];
  series: string[];
  format: (value: number) => string;
  current: string;
  /** What the headline is, e.g. "mean of the last 5 s". */
  currentNote: string;
  /** The window drawn, epoch ms. */
  domain: [number, number];
  /** What each point is, e.g. "5 s means over 5 min". */
  description: string;
  markers: readonly ChartEvent[];
  /**
   * The colour index of the first series (default 0, drawn bold as the total):
   * charts that leave out the total pass 1, so each backend keeps its colour
   * from the traffic charts.
   */
  firstColor?: number;
}

export function RateChart({ title, rows, series, format, current, currentNote, domain, description, markers, firstColor = 0 }: RateChartProps) {
  const id = title.toLowerCase().replace(/\W+/g, '-');
  const shown = markers.filter((m) => m.at >= domain[0] && m.at <= domain[1]);
  return (
    <figure
      className="card chart-card"
      aria-labelledby={`${id}-title`}
      data-testid={`chart-${id}`}
      data-points={rows.length}
      data-first-t={rows[0]?.t ?? ''}
      data-step-ms={smallestSpacing(rows) ?? ''}
      data-domain-ms={domain[1] - domain[0]}
      data-markers={shown.length}
      data-peak={peakOf(rows, series[0])}
    >
      <figcaption className="chart-head">
        <span id={`${id}-title`} className="chart-title">
          {title}
        </span>
        <span className="chart-current" data-testid={`current-${id}`} title={currentNote}>
          {current}
        </span>
      </figcaption>
      <div className="chart-body" role="img" aria-label={`${title}: ${description}; now ${current} (${currentNote}); ${shown.length} events marked`}>
        <ResponsiveContainer width="100%" height={190}>
          <LineChart data={rows} margin={{ top: 8, right: 12, bottom: 0, left: 0 }}>
            <CartesianGrid stroke="var(--grid)" vertical={false} />
            <XAxis dataKey="t" type="number" domain={domain} allowDataOverflow tickFormatter={clock} tick={{ fontSize: 11 }} minTickGap={40} />
            <YAxis tickFormatter={format} tick={{ fontSize: 11 }} width={72} allowDecimals={false} />
            <Tooltip labelFormatter={(t) => clock(Number(t))} formatter={(value) => format(Number(value))} />
            {series.length > 1 && <Legend wrapperStyle={{ fontSize: 12 }} />}
            <EventMarkers markers={shown} />
            {series.map((name, index) => (
              <Line
                key={name}
                dataKey={name}
                name={name}
                stroke={seriesColor(firstColor + index)}
                strokeWidth={firstColor + index === 0 ? 2.5 : 1.5}
                dot={false}
                isAnimationActive={false}
                connectNulls
              />
            ))}
          </LineChart>
        </ResponsiveContainer>
      </div>
      <p className="chart-foot muted">
        {description} · now: {currentNote}
      </p>
    </figure>
  );
}

/* The smallest time between two drawn points: the averaging step (tests read it). */
function smallestSpacing(rows: readonly Record<string, number>[]): number | undefined {
  let smallest: number | undefined;
  for (let i = 1; i < rows.length; i++) {
    const spacing = (rows[i]?.t ?? 0) - (rows[i - 1]?.t ?? 0);
    if (smallest === undefined || spacing < smallest) smallest = spacing;
  }
  return smallest;
}

/* The first series' highest drawn value (tests read it to tell history from an empty chart). */
function peakOf(rows: readonly Record<string, number>[], series: string | undefined): number {
  let peak = 0;
  if (series !== undefined) for (const row of rows) peak = Math.max(peak, row[series] ?? 0);
  return peak;
}
