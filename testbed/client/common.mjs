// Shared helpers of the test client's modes: option parsing, timing, counting.

export const MAX_COUNT = 10_000_000;
export const MAX_CONCURRENCY = 10_000;

export class UsageError extends Error {}

export function intOpt(values, key, { min = 1, max = Number.MAX_SAFE_INTEGER, required = false, fallback } = {}) {
  const raw = values[key];
  if (raw === undefined) {
    if (required) throw new UsageError(`--${key} is required`);
    return fallback;
  }
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${key} must be an integer in ${min}..${max}, got "${raw}"`);
  return n;
}

export const now = () => Number(process.hrtime.bigint()) / 1e6; // ms, monotonic
export const round = (x) => Math.round(x * 1000) / 1000;

function percentile(sorted, p) {
  if (!sorted.length) return null;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return round(sorted[rank]);
}

export function latencySummary(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = sorted.length ? sorted.reduce((a, b) => a + b, 0) / sorted.length : null;
  return {
    min: sorted.length ? round(sorted[0]) : null,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted.length ? round(sorted[sorted.length - 1]) : null,
    mean: mean === null ? null : round(mean),
  };
}

export const bump = (map, key) => (map[key] = (map[key] ?? 0) + 1);
export const reasonOf = (err) => err?.code ?? err?.message ?? String(err);

// Runs `count` jobs with at most `concurrency` in flight; stops issuing new
// jobs once `stopped()` is true.
export async function pool(count, concurrency, stopped, job) {
  let next = 0;
  const worker = async () => {
    while (next < count && !stopped()) await job(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

export function deadlineTimer(ms, onExpire) {
  const timer = setTimeout(onExpire, ms);
  timer.unref();
  return timer;
}
