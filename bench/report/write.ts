/* Writes latest.json, latest.md and latest.svg (or another base name's) into bench/results/. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchRecord } from '../record.js';
import { renderChart } from './chart.js';
import { evaluateGoals, type GoalResult } from './goals.js';
import { type RunInfo, renderMarkdown } from './markdown.js';

export const RESULTS_DIR = fileURLToPath(new URL('../results/', import.meta.url));

export function writeResults(records: BenchRecord[], info: RunInfo, base = 'latest'): { goals: GoalResult[]; files: string[] } {
  const goals = evaluateGoals(records);
  mkdirSync(RESULTS_DIR, { recursive: true });
  const files = ['json', 'md', 'svg'].map((ext) => join(RESULTS_DIR, `${base}.${ext}`));
  writeFileSync(
    files[0]!,
    `${JSON.stringify({ run: info, goals: goals.map(({ text, record, limit, direction, measured, holds }) => ({ text, record, limit, direction, measured, holds })), records }, null, 2)}\n`,
  );
  writeFileSync(files[1]!, renderMarkdown(records, goals, info));
  writeFileSync(files[2]!, renderChart(records, goals, `Sluice bench${info.quick ? ' (quick)' : ''}, ${info.startedAt}`));
  return { goals, files };
}
