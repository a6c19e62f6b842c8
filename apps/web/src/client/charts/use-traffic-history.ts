/*
 * Traffic rows for the charts: the agent's history (stats.series, one
 * second a point, kept for an hour) of each scope, then the live samples
 * (stats.live) newer than it, cut to the range and averaged over its step.
 * A reload or a range switch starts from the agent's history, not from empty.
 */
'use client';
import type { RatePoint, StatsSample, StatsScope } from '@sluice/api';
import { useQueries } from '@tanstack/react-query';
import { useMemo } from 'react';
import { api } from '../api-client.ts';
import { useLiveStats } from '../use-live-stats.ts';
import { type ChartRow, appendNewer, averageBySteps, recentMean } from './averages.ts';
import type { TimeRange } from './time-range.ts';

export const CHART_METRICS = ['pps', 'bps', 'newFlowsPerSec', 'activeFlows'] as const;
/** A backend's error signals (RatePoint.errors; backend scopes only), charted beside its traffic. */
export const ERROR_METRICS = ['dropsPerSec', 'resetsPerSec', 'failedHandshakesPerSec', 'healthLatencyMs'] as const;
export type TrafficMetric = (typeof CHART_METRICS)[number];
export type ErrorMetric = (typeof ERROR_METRICS)[number];
export type ChartMetric = TrafficMetric | ErrorMetric;
const ALL_METRICS: readonly ChartMetric[] = [...CHART_METRICS, ...ERROR_METRICS];

/* A metric's value in a point; undefined when the point has none (a service's point has no error signals; null: not observable). */
function metricValue(point: RatePoint, metric: ChartMetric): number | undefined {
  if ((CHART_METRICS as readonly string[]).includes(metric)) return point[metric as TrafficMetric];
  return point.errors?.[metric as ErrorMetric] ?? undefined;
}

/* Sets a series' value in a row when the point has one: a missing value is never drawn as 0. */
function put(row: ChartRow, series: string, value: number | undefined): void {
  if (value !== undefined) row[series] = value;
}

/** One line of a chart: a name, where its history is, and its point in a live sample. */
export interface ChartScope {
  name: string;
  scope: StatsScope;
  pointOf: (sample: StatsSample) => RatePoint | undefined;
}

export interface MetricRows {
  /** Averaged over the range's step: what the chart draws. */
  rows: ChartRow[];
  /** The first scope's mean over the newest step: the headline figure. */
  headline: number | undefined;
}

export type TrafficHistory = ReturnType<typeof useTrafficHistory>;

/** `service`: whose backends the live samples carry (a service's page; see useLiveStats). */
export function useTrafficHistory(scopes: readonly ChartScope[], range: TimeRange, service?: string) {
  const live = useLiveStats(range.seconds, service);
  const histories = useQueries({
    queries: scopes.map(({ scope }) => ({
      queryKey: ['stats.series', scope, range.seconds],
      queryFn: () => api.stats.series.query({ scope, seconds: range.seconds }),
      /* Loaded once per scope and range: the live samples carry it on from there. */
      staleTime: Number.POSITIVE_INFINITY,
      refetchOnWindowFocus: false,
    })),
  });
  const historyData = histories.map((h) => h.data);
  const historyKey = histories.map((h) => h.dataUpdatedAt).join(',');

  /* Rows of each metric, built in one pass: the history once per load, the live samples once per sample. */
  // biome-ignore lint/correctness/useExhaustiveDependencies: historyKey stands for historyData (a new array each render)
  const historyRows = useMemo(() => {
    const byTime = new Map<number, Record<ChartMetric, ChartRow>>();
    scopes.forEach((scope, i) => {
      for (const point of historyData[i] ?? []) {
        let rows = byTime.get(point.t);
        if (!rows) byTime.set(point.t, (rows = emptyRows(point.t)));
        for (const metric of ALL_METRICS) put(rows[metric], scope.name, metricValue(point, metric));
      }
    });
    return [...byTime.entries()].sort(([a], [b]) => a - b).map(([, rows]) => rows);
  }, [scopes, historyKey]);
  const liveRows = useMemo(
    () =>
      live.samples.map((sample) => {
        const rows = emptyRows(sample.t);
        for (const scope of scopes) {
          const point = scope.pointOf(sample);
          if (point) for (const metric of ALL_METRICS) put(rows[metric], scope.name, metricValue(point, metric));
        }
        return rows;
      }),
    [scopes, live.samples],
  );

  const byMetric = useMemo(() => {
    const stepMs = range.stepSeconds * 1000;
    const result = {} as Record<ChartMetric, MetricRows>;
    for (const metric of ALL_METRICS) {
      const all = appendNewer(
        historyRows.map((rows) => rows[metric]),
        liveRows.map((rows) => rows[metric]),
      );
      const newest = all.at(-1)?.t ?? 0;
      const inRange = all.filter((row) => row.t > newest - range.seconds * 1000);
      result[metric] = { rows: averageBySteps(inRange, stepMs), headline: scopes[0] ? recentMean(inRange, scopes[0].name, stepMs) : undefined };
    }
    return result;
  }, [scopes, historyRows, liveRows, range]);

  const newest = live.latest?.t ?? Math.max(0, ...historyData.map((h) => h?.at(-1)?.t ?? 0));
  return {
    byMetric,
    /** The window drawn: the range, ending at the newest sample. */
    domain: [newest - range.seconds * 1000, newest] as [number, number],
    historyLoaded: histories.every((h) => h.isSuccess),
    historyError: histories.find((h) => h.error)?.error ?? null,
    live,
  };
}

function emptyRows(t: number): Record<ChartMetric, ChartRow> {
  return Object.fromEntries(ALL_METRICS.map((metric) => [metric, { t }])) as Record<ChartMetric, ChartRow>;
}
