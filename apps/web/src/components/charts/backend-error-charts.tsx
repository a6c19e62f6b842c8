/*
 * A service's backends' error signals over the page's time range, a line per
 * backend, beside the traffic charts above: drops after the backend was
 * chosen, resets it sent, handshakes that never completed, and its health
 * probes' latency. What the service's forwarding mode cannot observe is said
 * in words, never drawn as a flat zero.
 */
'use client';
import { type ForwardingMode, repliesBypassBalancer } from '@sluice/api';
import type { ChartEvent } from '@/client/charts/chart-events.ts';
import type { ChartRow } from '@/client/charts/averages.ts';
import type { ErrorMetric, TrafficHistory } from '@/client/charts/use-traffic-history.ts';
import { perSecond } from '@/client/format.ts';
import { MODE_LABEL } from '@/components/forwarding/mode-help.ts';
import { RateChart } from './rate-chart.tsx';

const milliseconds = (ms: number) => `${ms.toFixed(ms < 10 ? 2 : 1)} ms`;

interface ErrorChart {
  metric: ErrorMetric;
  title: string;
  format: (n: number) => string;
  /** The headline over the backends' newest step: their sum (rates) or the slowest (latency). */
  combine: 'sum' | 'max';
  /** Why the chart is not drawn in this mode, if it cannot be observed. */
  unobservable?: string;
}

function chartsFor(mode: ForwardingMode): ErrorChart[] {
  const bypass = repliesBypassBalancer(mode);
  return [
    { metric: 'dropsPerSec', title: 'Backend drops per second', format: perSecond, combine: 'sum' },
    {
      metric: 'resetsPerSec',
      title: 'Backend resets per second',
      format: perSecond,
      combine: 'sum',
      unobservable: bypass
        ? `Not observable in ${MODE_LABEL[mode]} mode: backends answer clients directly, so their resets never pass the balancer.`
        : undefined,
    },
    {
      metric: 'failedHandshakesPerSec',
      /* nat sees the SYN-ACK: a SYN nobody answered. Bypass modes see only the client never completing the handshake. */
      title: bypass ? 'Handshakes never completed per second' : 'SYNs without reply per second',
      format: perSecond,
      combine: 'sum',
    },
    { metric: 'healthLatencyMs', title: 'Health-check latency', format: milliseconds, combine: 'max' },
  ];
}

function headline(rows: readonly ChartRow[], series: readonly string[], combine: 'sum' | 'max'): number | undefined {
  const newest = rows.at(-1);
  if (!newest) return undefined;
  const values = series.map((name) => newest[name]).filter((v): v is number => v !== undefined && Number.isFinite(v));
  if (values.length === 0) return undefined;
  return combine === 'sum' ? values.reduce((a, b) => a + b, 0) : Math.max(...values);
}

export interface BackendErrorChartsProps {
  mode: ForwardingMode;
  /** The backends' series names (their endpoints): the history's scopes minus the service's own line. */
  backends: readonly string[];
  traffic: TrafficHistory;
  stepSeconds: number;
  rangeLabel: string;
  events: readonly ChartEvent[];
}

export function BackendErrorCharts({ mode, backends, traffic, stepSeconds, rangeLabel, events }: BackendErrorChartsProps) {
  const description = `${stepSeconds} s means over the last ${rangeLabel}, a line per backend`;
  const currentNote = `the newest ${stepSeconds} s step, all backends`;
  return (
    <section className="card" aria-labelledby="backend-errors-title" data-testid="backend-error-charts">
      <h2 id="backend-errors-title">Backend error signals</h2>
      <p className="muted">
        Drops after a backend was chosen (the path to it failed), resets it sent, connections whose handshake never completed (the conntrack GC finds them after
        the 30 s SYN timeout, so they arrive in bursts), and its health probes’ latency.
      </p>
      <div className="chart-grid">
        {chartsFor(mode).map(({ metric, title, format, combine, unobservable }) => {
          if (unobservable)
            return (
              <figure key={metric} className="card chart-card" data-testid={`chart-${title.toLowerCase().replace(/\W+/g, '-')}`} data-observable="false">
                <figcaption className="chart-head">
                  <span className="chart-title">{title}</span>
                  <span className="chart-current">n/a</span>
                </figcaption>
                <p className="muted">{unobservable}</p>
              </figure>
            );
          const { rows } = traffic.byMetric[metric];
          const now = headline(rows, backends, combine);
          return (
            <RateChart
              key={metric}
              title={title}
              rows={rows}
              series={[...backends]}
              format={format}
              current={now === undefined ? '—' : format(now)}
              currentNote={currentNote}
              domain={traffic.domain}
              description={description}
              markers={events}
              firstColor={1}
            />
          );
        })}
      </div>
    </section>
  );
}
