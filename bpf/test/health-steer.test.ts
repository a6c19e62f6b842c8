// The health-probe steering program's fixtures through BPF_PROG_TEST_RUN
// (sched_cls) in the fixture namespace, in order, then its counters: every
// packet counted once, by outcome.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type HealthSteerProgram, SluiceHealthCounter, interfaceIndex, loadHealthSteer } from '@sluice/dataplane';
import { type HealthOutcome, healthFixtures, probeValue } from './health/fixtures.ts';
import { HEALTH_OBJECT_PATH } from './support/dataplane.ts';
import { describeFrameDifference } from './support/frame-diff.ts';

describe('health-probe steering fixtures', () => {
  let steer: HealthSteerProgram;
  const expected = new Map<HealthOutcome, number>();
  const fixtures = healthFixtures();

  before(() => {
    steer = loadHealthSteer({ objectPath: HEALTH_OBJECT_PATH });
  });
  after(() => steer?.close());

  for (const fixture of fixtures) {
    test(fixture.name, () => {
      for (const key of [...steer.maps.probes.keys()]) steer.maps.probes.delete(key);
      for (const entry of fixture.entries) steer.maps.probes.update({ source_port: entry.port }, probeValue(entry));
      const run = steer.testRun({ data: fixture.input, ...(fixture.egress ? { ifindex: interfaceIndex(fixture.egress) } : {}) });
      const frame = fixture.output ?? fixture.input;
      assert.equal(run.actionName, fixture.action, 'action');
      assert.ok(run.data.equals(frame), describeFrameDifference(run.data, frame));
      expected.set(fixture.outcome, (expected.get(fixture.outcome) ?? 0) + 1);
    });
  }

  test('counters: one outcome per packet, each the fixtures expect', () => {
    const outcomes = Object.keys(SluiceHealthCounter).filter((name) => name !== 'HEALTH_CNT_MAX') as HealthOutcome[];
    let total = 0;
    for (const outcome of outcomes) {
      const counted = Number(steer.maps.counters.lookupSum(SluiceHealthCounter[outcome]) ?? 0n);
      assert.equal(counted, expected.get(outcome) ?? 0, outcome);
      total += counted;
    }
    assert.equal(total, fixtures.length, 'the outcomes add up to every packet run');
    /* Every outcome but a refused encapsulation (which needs the kernel to fail) has a fixture. */
    for (const outcome of outcomes.filter((o) => o !== 'HEALTH_CNT_DROP_ENCAP_FAILED')) assert.ok((expected.get(outcome) ?? 0) > 0, `a fixture for ${outcome}`);
  });
});
