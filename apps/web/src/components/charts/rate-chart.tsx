/* One rate over time, a line per series (the total and each service). */
'use client';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { clock } from '@/client/format.ts';
import { seriesColor } from './series-colors.ts';

export interface RateChartProps {
  title: string;
  /** One row per time: { t, [series]: value }. */
  rows: Record<string, number>[];
  series: string[];
  format: (value: number) => string;
  current: string;
}

export function RateChart({ title, rows, series, format, current }: RateChartProps) {
  const id = title.toLowerCase().replace(/\W+/g, '-');
  return (
    <figure className="card chart-card" aria-labelledby={`${id}-title`} data-testid={`chart-${id}`} data-points={rows.length}>
      <figcaption className="chart-head">
        <span id={`${id}-title`} className="chart-title">
          {title}
        </span>
        <span className="chart-current" data-testid={`current-${id}`}>
          {current}
        </span>
      </figcaption>
      <div className="chart-body" role="img" aria-label={`${title} over the last ${rows.length} seconds, now ${current}`}>
        <ResponsiveContainer width="100%" height={190}>
          <LineChart data={rows} margin={{ top: 8, right: 12, bottom: 0, left: 0 }}>
            <CartesianGrid stroke="var(--grid)" vertical={false} />
            <XAxis dataKey="t" type="number" domain={['dataMin', 'dataMax']} tickFormatter={clock} tick={{ fontSize: 11 }} minTickGap={40} />
            <YAxis tickFormatter={format} tick={{ fontSize: 11 }} width={72} allowDecimals={false} />
            <Tooltip labelFormatter={(t) => clock(Number(t))} formatter={(value) => format(Number(value))} />
            {series.length > 1 && <Legend wrapperStyle={{ fontSize: 12 }} />}
            {series.map((name, index) => (
              <Line
                key={name}
                dataKey={name}
                name={name}
                stroke={seriesColor(index)}
                strokeWidth={index === 0 ? 2.5 : 1.5}
                dot={false}
                isAnimationActive={false}
              />
            ))}
          </LineChart>
        </ResponsiveContainer>
      </div>
    </figure>
  );
}
