/* Numbers and times the way an operator reads them. */

const SI = [
  { value: 1e12, suffix: 'T' },
  { value: 1e9, suffix: 'G' },
  { value: 1e6, suffix: 'M' },
  { value: 1e3, suffix: 'k' },
];

/** 1234567 -> "1.23 M" (rates and counts). */
export function si(value: number, unit = ''): string {
  for (const step of SI) if (Math.abs(value) >= step.value) return `${(value / step.value).toPrecision(3)} ${step.suffix}${unit}`;
  const digits = Number.isInteger(value) ? 0 : value < 10 ? 2 : 1;
  return `${value.toFixed(digits)}${unit ? ` ${unit}` : ''}`;
}

export const packetsPerSecond = (pps: number) => si(pps, 'pps');
export const bitsPerSecond = (bps: number) => si(bps, 'b/s');
export const perSecond = (n: number) => si(n, '/s');

export function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

export const count = (n: number) => n.toLocaleString('en-US');

/** A duration in ms -> "4.2 s", "3 m 10 s", "2 h 5 m". */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} m ${Math.floor(s % 60)} s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${m % 60} m`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** Epoch ms -> "14:03:22" today, else "2026-03-04 14:03". */
export function clock(at: number): string {
  const date = new Date(at);
  const today = new Date();
  const pad = (n: number) => String(n).padStart(2, '0');
  const time = `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
  if (date.toDateString() === today.toDateString()) return time;
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${time.slice(0, 5)}`;
}

/** Epoch ms -> "3 s ago". */
export const ago = (at: number, now = Date.now()) => `${duration(Math.max(0, now - at))} ago`;

export const percent = (fraction: number) => `${(fraction * 100).toFixed(fraction < 0.1 && fraction > 0 ? 1 : 0)} %`;
