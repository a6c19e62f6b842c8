/*
 * The charts of a page (overview or one service): a time range kept in the
 * URL, the agent's history carried on by live samples, averaged over the
 * range's step, with the range's events marked on each chart and listed below.
 */
'use client';
import type { TimeRange, TimeRangeKey } from '@/client/charts/time-range.ts';
import type { ChartEvent } from '@/client/charts/chart-events.ts';
import { CHART_METRICS, type ChartScope, type TrafficHistory, type TrafficMetric } from '@/client/charts/use-traffic-history.ts';
import { bitsPerSecond, count, packetsPerSecond, perSecond } from '@/client/format.ts';
import { ErrorState, LoadingState } from '@/components/ui/states.tsx';
import { EventList } from './event-list.tsx';
import { RateChart } from './rate-chart.tsx';
import { TimeRangePicker } from './time-range-picker.tsx';

const METRIC_CHARTS: Record<TrafficMetric, { title: string; format: (n: number) => string }> = {
  pps: { title: 'Packets per second', format: packetsPerSecond },
  bps: { title: 'Bits per second', format: bitsPerSecond },
  newFlowsPerSec: { title: 'New connections per second', format: perSecond },
  activeFlows: { title: 'Active connections', format: (n: number) => count(Math.round(n)) },
};

export interface TrafficChartsProps {
  label: string;
  scopes: readonly ChartScope[];
  /** useTrafficHistory(scopes, range): the page holds it, its table reads the same live samples. */
  traffic: TrafficHistory;
  range: TimeRange;
  onRange: (key: TimeRangeKey) => void;
  events: readonly ChartEvent[];
  eventsTruncated: boolean;
}

export function TrafficCharts({ label, scopes, traffic, range, onRange, events, eventsTruncated }: TrafficChartsProps) {
  const description = `${range.stepSeconds} s means over the last ${range.label}`;
  const currentNote = `mean of the last ${range.stepSeconds} s`;
  const points = traffic.byMetric.pps.rows.length;
  return (
    <>
      <div className="chart-toolbar">
        <TimeRangePicker range={range} onChange={onRange} />
        <span className="muted" data-testid="chart-averaging">
          Each point is the mean of {range.stepSeconds} s of one-second samples; the figure beside each title is the {currentNote}.
        </span>
      </div>
      {traffic.historyError ? <ErrorState error={traffic.historyError} /> : null}
      {traffic.live.error ? <ErrorState error={traffic.live.error} /> : null}
      <section
        aria-label={label}
        className="chart-grid"
        data-testid="live-samples"
        data-samples={traffic.live.samples.length}
        data-history={traffic.historyLoaded ? 'loaded' : 'loading'}
        data-range={range.key}
      >
        {CHART_METRICS.map((metric) => {
          const { title, format } = METRIC_CHARTS[metric];
          const headline = traffic.byMetric[metric].headline;
          return (
            <RateChart
              key={metric}
              title={title}
              rows={traffic.byMetric[metric].rows}
              series={scopes.map((s) => s.name)}
              format={format}
              current={headline === undefined ? '—' : format(headline)}
              currentNote={currentNote}
              domain={traffic.domain}
              description={description}
              markers={events}
            />
          );
        })}
      </section>
      {points === 0 && !traffic.live.error && <LoadingState label="Waiting for the first samples (one a second)…" />}
      <EventList events={events} truncated={eventsTruncated} rangeLabel={range.label} />
    </>
  );
}
