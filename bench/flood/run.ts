/*
 * Flood bench (issue 9, part 4): how many idle established flows survive a
 * table's worth of spoofed SYNs, measured with BPF_PROG_TEST_RUN in a
 * namespace of its own. Bounded: one pass, a hard deadline.
 *
 *   node --import tsx bench/flood/run.ts [--object bpf/build/sluice.bpf.o]
 *        [--flows 65536] [--algorithms round-robin,maglev] [--out bench/results/flood.json]
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    object: { type: 'string', default: fileURLToPath(new URL('../../bpf/build/sluice.bpf.o', import.meta.url)) },
    flows: { type: 'string', default: '65536' },
    algorithms: { type: 'string', default: 'round-robin,maglev' },
    established: { type: 'string', default: '1000' },
    out: { type: 'string' },
    'deadline-s': { type: 'string', default: '900' },
  },
});

process.env.SLUICE_BENCH_NAMESPACE ??= `slflood${process.env.SLUICE_TEST_TAG ?? ''}`;
const { BENCH_NAMESPACE, benchNetworkDown, benchNetworkUp } = await import('../packet-cost/network.js');
const { inNamespace } = await import('../processes.js');

const worker = fileURLToPath(new URL('./worker.ts', import.meta.url));
const workerOptions = {
  object: resolve(values.object),
  flows: Number(values.flows),
  algorithms: values.algorithms.split(','),
  established: Number(values.established),
};
await benchNetworkUp();
try {
  const result = await inNamespace(
    BENCH_NAMESPACE,
    process.execPath,
    ['--import', 'tsx', worker, JSON.stringify(workerOptions)],
    Number(values['deadline-s']) * 1000,
  );
  process.stderr.write(result.stderr);
  if (result.code !== 0) throw new Error(`flood worker ${result.timedOut ? 'timed out' : `failed (${result.code ?? result.signal})`}`);
  const records = JSON.parse(result.stdout.trim().split('\n').pop()!);
  const json = `${JSON.stringify({ object: workerOptions.object, measuredAt: new Date().toISOString(), results: records }, null, 2)}\n`;
  if (values.out) writeFileSync(values.out, json);
  process.stdout.write(json);
} finally {
  await benchNetworkDown();
}
