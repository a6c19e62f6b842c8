/* The event loop watch: a real stall of the loop is counted, logged once with its length, and shows in the metrics. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EventLoopWatch, STALL_MS } from '../../src/metrics/event-loop-watch.js';
import type { MetricsSnapshot } from '../../src/metrics/index.js';
import { EMPTY_SNAPSHOT, seriesStartingWith } from './series.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function blockFor(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

test('from start(), a stall of the loop past STALL_MS is counted and logged once with its length; short delays are not stalls', async () => {
  const logged: number[] = [];
  const watch = new EventLoopWatch((ms) => logged.push(ms));
  blockFor(STALL_MS + 100);
  await sleep(50);
  assert.deepEqual(watch.read(), { p50Ms: 0, p99Ms: 0, maxMs: 0, stalls: 0, longestStallMs: 0 }, 'nothing is watched before start()');
  watch.start();
  try {
    await sleep(250);
    blockFor(STALL_MS / 4);
    await sleep(250);
    assert.deepEqual(logged, [], 'a 250 ms delay is no stall');
    blockFor(STALL_MS + 300);
    await sleep(250);
    const figures = watch.read();
    assert.equal(logged.length, 1, `one stall logged: ${JSON.stringify(logged)}`);
    assert.ok(logged[0]! >= STALL_MS && logged[0]! < STALL_MS + 1_000, `its length ${logged[0]} ms`);
    assert.equal(figures.stalls, 1);
    assert.equal(figures.longestStallMs, logged[0]);
    assert.ok(figures.maxMs >= STALL_MS, `the histogram's max ${figures.maxMs} ms holds the stall`);
    assert.ok(figures.p50Ms < STALL_MS, `p50 ${figures.p50Ms} ms`);
    await sleep(250);
    const next = watch.read();
    assert.ok(next.maxMs < STALL_MS, `the next read starts again: max ${next.maxMs} ms`);
    assert.equal(next.stalls, 1, 'stalls count from the start');
  } finally {
    watch.stop();
  }
});

const snapshot = (eventLoop: MetricsSnapshot['eventLoop']): MetricsSnapshot => ({ ...EMPTY_SNAPSHOT, eventLoop });
const series = (s: MetricsSnapshot) => seriesStartingWith(s, 'sluice_agent_event_loop');

test('the metrics carry the delay in seconds and the stalls; none without a watch', async () => {
  assert.deepEqual(await series(snapshot({ p50Ms: 10, p99Ms: 20, maxMs: 1500, stalls: 2, longestStallMs: 1400 })), [
    'sluice_agent_event_loop_delay_seconds{quantile="0.5"} 0.01',
    'sluice_agent_event_loop_delay_seconds{quantile="0.99"} 0.02',
    'sluice_agent_event_loop_delay_seconds{quantile="1"} 1.5',
    'sluice_agent_event_loop_stalls_total 2',
  ]);
  assert.deepEqual(await series(snapshot(null)), []);
});
