/* Lookup-table build time for 1, 100 and 1000 backends (issue 5 goal: 1000 in under 20 ms). */
import { LOOKUP_TABLE_SIZE, buildLookupTable, type LookupAlgorithm } from '@sluice/dataplane/lookup';
import { type BenchRecord, againstGoal } from '../record.js';

const GOAL_MS = 20;
const SIZES = [1, 100, 1000];
const ALGORITHMS: LookupAlgorithm[] = ['maglev', 'weighted-round-robin'];

function backends(count: number) {
  /* Uneven weights, as a real pool has: they make Maglev's weighted turns and the sequence work. */
  return Array.from({ length: count }, (_, i) => ({ id: i, key: `198.19.${(i >> 8) + 1}.${(i & 0xff) + 2}:8080`, weight: 1 + (i % 4) }));
}

export function measureTableBuild(samples: number): BenchRecord[] {
  const records: BenchRecord[] = [];
  for (const algorithm of ALGORITHMS) {
    for (const count of SIZES) {
      const list = backends(count);
      buildLookupTable(algorithm, list); /* warm the JIT: the agent builds tables all day */
      const ms: number[] = [];
      for (let i = 0; i < samples; i++) {
        const start = process.hrtime.bigint();
        buildLookupTable(algorithm, list);
        ms.push(Number(process.hrtime.bigint() - start) / 1e6);
      }
      records.push(
        againstGoal(
          'control-plane',
          `control-plane/table-build/${algorithm}/${count}-backends`,
          'ms',
          GOAL_MS,
          ms,
          `buildLookupTable(${algorithm}) into a ${LOOKUP_TABLE_SIZE}-slot table, weights 1-4; first build (JIT warm-up) not counted`,
        ),
      );
    }
  }
  return records;
}
