/* How a service's traffic spreads over its backends: share of new connections and active connections per backend. */
'use client';
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { seriesColor } from './series-colors.ts';

export interface DistributionRow {
  endpoint: string;
  newConnections: number;
  activeConnections: number;
}

export function DistributionChart({ rows, windowSeconds }: { rows: DistributionRow[]; windowSeconds: number }) {
  return (
    <div
      role="img"
      aria-label={`New connections per backend over the last ${windowSeconds} seconds: ${rows.map((r) => `${r.endpoint} ${r.newConnections}`).join(', ')}`}
    >
      <ResponsiveContainer width="100%" height={220}>
        <BarChart data={rows} margin={{ top: 8, right: 12, bottom: 0, left: 0 }}>
          <CartesianGrid stroke="var(--grid)" vertical={false} />
          <XAxis dataKey="endpoint" tick={{ fontSize: 11 }} />
          <YAxis tick={{ fontSize: 11 }} allowDecimals={false} width={48} />
          <Tooltip />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          <Bar dataKey="newConnections" name={`new connections (last ${windowSeconds} s)`} fill={seriesColor(0)} isAnimationActive={false} />
          <Bar dataKey="activeConnections" name="active connections" fill={seriesColor(1)} isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}
