// Random and mutated frames through the health-probe steering program (TC,
// BPF_PROG_TEST_RUN in the fixture namespace), per seed: valid probes of
// every mode and family, probes one field off, truncated, bit-flipped, with
// IPv4 options, IPv6 extension headers, VLAN tags, fragments, and ordinary
// traffic. Properties: the verdict is always OK, SHOT or REDIRECT; the frame
// comes out untouched or exactly as the independent oracle
// (support/health-fuzz.ts) builds it: new MACs, or a complete encapsulation
// with its checksum; and the outcome counters equal the oracle's tally.
// A fixed seed list, or SLUICE_FUZZ_SEED alone; SLUICE_FUZZ_PACKETS per seed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SluiceHealthCounter, interfaceIndex, loadHealthSteer } from '@sluice/dataplane';
import { type HealthOutcome, probeValue } from './health/fixtures.ts';
import { HEALTH_OBJECT_PATH } from './support/dataplane.ts';
import { describeFrameDifference } from './support/frame-diff.ts';
import { FUZZ_ENTRIES, expectedVerdict, healthFuzzFrame } from './support/health-fuzz.ts';
import { BACKEND_FACING } from './support/network.ts';
import { Random } from './support/random.ts';
import { tcCanRun } from './support/tc-run.ts';

const PACKETS = Number(process.env.SLUICE_FUZZ_PACKETS ?? 20_000);
const SEEDS = process.env.SLUICE_FUZZ_SEED !== undefined ? [Number(process.env.SLUICE_FUZZ_SEED)] : [1, 0x5eed, 20261204];
const VERDICTS = new Set(['TC_ACT_OK', 'TC_ACT_SHOT', 'TC_ACT_REDIRECT']);
const OUTCOMES = Object.keys(SluiceHealthCounter).filter((name) => name !== 'HEALTH_CNT_MAX') as HealthOutcome[];

for (const seed of SEEDS) {
  test(`fuzz health_steer: ${PACKETS} random and mutated frames (seed ${seed})`, () => {
    const steer = loadHealthSteer({ objectPath: HEALTH_OBJECT_PATH });
    try {
      for (const entry of FUZZ_ENTRIES) steer.maps.probes.update({ source_port: entry.port }, probeValue(entry));
      /* On the loopback (as the fixtures' default) steered frames are redirected; on the backend-facing link they go on (TC_ACT_OK). */
      const egresses = [
        { ifindex: interfaceIndex('lo'), nextHopHere: false },
        { ifindex: interfaceIndex(BACKEND_FACING.name), nextHopHere: true },
      ];
      const random = new Random(seed);
      const tally = new Map<HealthOutcome, number>();
      let runs = 0;
      let notRun = 0;

      for (let n = 0; n < PACKETS; n++) {
        const input = healthFuzzFrame(random);
        const egress = random.pick(egresses);
        if (!tcCanRun(input)) {
          notRun++;
          continue;
        }
        const expected = expectedVerdict(input);
        const run = steer.testRun({ data: input, ifindex: egress.ifindex });
        const context = `frame ${n} (seed ${seed}, ifindex ${egress.ifindex}): ${input.toString('hex')}`;
        runs++;
        tally.set(expected.outcome, (tally.get(expected.outcome) ?? 0) + 1);

        assert.ok(VERDICTS.has(run.actionName), `verdict ${run.actionName} outside OK/SHOT/REDIRECT: ${context}`);
        if (!('output' in expected)) {
          const action = expected.outcome === 'HEALTH_CNT_PASS_NOT_PROBE' ? 'TC_ACT_OK' : 'TC_ACT_SHOT';
          assert.equal(run.actionName, action, `${expected.outcome}: ${context}`);
          assert.ok(run.data.equals(input), `${expected.outcome} but the frame changed: ${describeFrameDifference(run.data, input)}; ${context}`);
          continue;
        }
        const action = expected.resolving || !egress.nextHopHere ? 'TC_ACT_REDIRECT' : 'TC_ACT_OK';
        assert.equal(run.actionName, action, `${expected.outcome}: ${context}`);
        assert.ok(run.data.equals(expected.output), `${expected.outcome}: ${describeFrameDifference(run.data, expected.output)}; ${context}`);
      }

      let counted = 0;
      for (const outcome of OUTCOMES) {
        const value = Number(steer.maps.counters.lookupSum(SluiceHealthCounter[outcome]) ?? 0n);
        assert.equal(value, tally.get(outcome) ?? 0, `counter ${outcome} (seed ${seed})`);
        counted += value;
      }
      assert.equal(counted, runs, 'the outcome counters add up to every run');
      /* The mix must reach every outcome the fixture network can produce, or the fuzz proves little. */
      for (const outcome of OUTCOMES.filter((o) => o !== 'HEALTH_CNT_DROP_ENCAP_FAILED')) {
        assert.ok((tally.get(outcome) ?? 0) > 0, `no frame reached ${outcome} (seed ${seed})`);
      }
      const summary = OUTCOMES.map((o) => `${o.replace('HEALTH_CNT_', '').toLowerCase()} ${tally.get(o) ?? 0}`).join(', ');
      console.log(`fuzz health_steer seed ${seed}: ${PACKETS} frames, ${runs} runs (${notRun} too short for a TC test run): ${summary}`);
    } finally {
      steer.close();
    }
  });
}
