/*
 * How a run's answers spread over the backends: printed in one compact line
 * (so the measured numbers can be quoted) and checked against a promise.
 */
import assert from 'node:assert/strict';
import type { BulkReport, Counts } from '@sluice/testbed/client-traffic';

export const BACKEND_NAMES = ['be1', 'be2', 'be3'];

/** "distribution maglev ipv4: be1=1003 be2=987 be3=1010" */
export function formatDistribution(label: string, counts: Counts, names = BACKEND_NAMES): string {
  const known = names.map((name) => `${name}=${counts[name] ?? 0}`);
  const others = Object.keys(counts)
    .filter((name) => !names.includes(name))
    .map((name) => `${name}=${counts[name]}`);
  return `distribution ${label}: ${[...known, ...others].join(' ')}`;
}

export function record(label: string, report: BulkReport): Counts {
  console.log(formatDistribution(label, report.byBackend));
  return report.byBackend;
}

/** Every request answered, by a backend. */
export function assertAllSucceeded(report: BulkReport, count: number, what: string): void {
  assert.equal(report.failed, 0, `${what}: ${report.failed} failed: ${JSON.stringify(report.failures)}`);
  assert.equal(report.succeeded, count, `${what}: ${report.succeeded} of ${count} answered`);
}

/** Each backend's count within ±tolerance (a fraction) of its expected count. */
export function assertWithin(counts: Counts, expected: Counts, tolerance: number, what: string): void {
  for (const [name, want] of Object.entries(expected)) {
    const got = counts[name] ?? 0;
    assert.ok(
      Math.abs(got - want) <= want * tolerance,
      `${what}: ${name} answered ${got}, expected ${want} ±${tolerance * 100}% (${formatDistribution(what, counts)})`,
    );
  }
}

export const usedBackends = (counts: Counts) =>
  Object.keys(counts)
    .filter((name) => (counts[name] ?? 0) > 0)
    .sort();
