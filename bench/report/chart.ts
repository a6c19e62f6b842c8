/*
 * An SVG chart, drawn without any library: one bar per goal (measured ratio
 * against the goal's limit, log scale) and one per packet-cost figure
 * (times the empty program).
 */
import type { BenchRecord } from '../record.js';
import type { GoalResult } from './goals.js';

const WIDTH = 1000;
const LABEL = 430;
const ROW = 20;
const AXIS_MIN = 0.1;
const AXIS_MAX = 300;

const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const x = (value: number) =>
  LABEL +
  ((Math.log10(Math.min(AXIS_MAX, Math.max(AXIS_MIN, value))) - Math.log10(AXIS_MIN)) / (Math.log10(AXIS_MAX) - Math.log10(AXIS_MIN))) * (WIDTH - LABEL - 20);

interface Row {
  label: string;
  value: number | null;
  limit?: number;
  colour: string;
}

function panel(title: string, rows: Row[], top: number): { svg: string; height: number } {
  const parts = [`<text x="10" y="${top + 16}" font-weight="bold">${escapeXml(title)}</text>`];
  const axisTop = top + 26;
  for (const tick of [0.1, 0.5, 1, 2, 5, 10, 20, 50, 100, 200]) {
    parts.push(`<line x1="${x(tick)}" y1="${axisTop}" x2="${x(tick)}" y2="${axisTop + rows.length * ROW}" stroke="#ddd"/>`);
    parts.push(`<text x="${x(tick)}" y="${axisTop + rows.length * ROW + 14}" font-size="10" text-anchor="middle">${tick}x</text>`);
  }
  rows.forEach((row, i) => {
    const y = axisTop + i * ROW;
    parts.push(`<text x="${LABEL - 6}" y="${y + 14}" font-size="11" text-anchor="end">${escapeXml(row.label)}</text>`);
    if (row.value === null) {
      parts.push(`<text x="${LABEL + 4}" y="${y + 14}" font-size="11" fill="#888">not measured</text>`);
    } else {
      parts.push(`<rect x="${LABEL}" y="${y + 3}" width="${Math.max(1, x(row.value) - LABEL)}" height="${ROW - 6}" fill="${row.colour}"/>`);
      parts.push(`<text x="${x(row.value) + 4}" y="${y + 14}" font-size="10">${row.value}</text>`);
    }
    if (row.limit !== undefined)
      parts.push(`<line x1="${x(row.limit)}" y1="${y + 1}" x2="${x(row.limit)}" y2="${y + ROW - 1}" stroke="#000" stroke-width="2"/>`);
  });
  return { svg: parts.join('\n'), height: 26 + rows.length * ROW + 30 };
}

export function renderChart(records: readonly BenchRecord[], goals: readonly GoalResult[], title: string): string {
  const goalRows: Row[] = goals.map((g) => {
    const record = records.find((r) => r.name === g.record);
    /* Goals stated in ms/MB compare with the goal itself: ratio = measured / goal, limit 1. */
    return {
      label: g.text.length > 70 ? `${g.text.slice(0, 68)}…` : g.text,
      value: record?.ratio ?? null,
      limit: g.limit,
      colour: g.holds === null ? '#999' : g.holds ? '#2a9d4b' : '#d1495b',
    };
  });
  const costRows: Row[] = records
    /* Times, not the verifier's instruction count (a share of its limit). */
    .filter((r) => r.section === 'packet-cost' && r.unit !== 'instructions')
    .map((r) => ({ label: r.name.replace('packet-cost/', ''), value: r.ratio, colour: '#3b6ea8' }));
  const first = panel('Goals: measured ratio (bar) against the goal (black tick); green holds, red missed', goalRows, 30);
  const second = panel('Per-packet cost, times the empty XDP program in the same run', costRows, 30 + first.height);
  const height = 30 + first.height + second.height;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="#fff"/>
<text x="10" y="18" font-size="14" font-weight="bold">${escapeXml(title)}</text>
${first.svg}
${second.svg}
</svg>
`;
}
