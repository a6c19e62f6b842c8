// The backend decapsulation program's fixtures through BPF_PROG_TEST_RUN, each
// through both entry points (XDP and TC), then its counters: every packet
// counted once per run, by outcome.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type DecapProgram, SluiceDecapCounter, loadDecap } from '@sluice/dataplane';
import { keyAddressBytes } from '@sluice/dataplane/test-packets';
import { DECAP_FIXTURES, type DecapOutcome, HOST, isDrop } from './decap/fixtures.ts';
import { DECAP_OBJECT_PATH } from './support/dataplane.ts';
import { describeFrameDifference } from './support/frame-diff.ts';

const ENTRY_POINTS = [
  { name: 'xdp', pass: 'XDP_PASS', drop: 'XDP_DROP' },
  { name: 'tc', pass: 'TC_ACT_OK', drop: 'TC_ACT_SHOT' },
] as const;

describe('decapsulation fixtures', () => {
  let decap: DecapProgram;
  const expected = new Map<DecapOutcome, number>();

  before(() => {
    decap = loadDecap({ objectPath: DECAP_OBJECT_PATH });
    for (const address of [HOST.v4, HOST.v4Second]) decap.maps.addresses.update({ addr: keyAddressBytes(address), family: 4 }, 1);
    decap.maps.addresses.update({ addr: keyAddressBytes(HOST.v6), family: 6 }, 1);
    decap.maps.settings.update(0, { gue_port: HOST.guePort });
  });
  after(() => decap?.close());

  for (const entry of ENTRY_POINTS) {
    for (const fixture of DECAP_FIXTURES) {
      if (entry.name === 'tc' && fixture.xdpOnly) {
        test(`${entry.name}: ${fixture.name}`, { skip: fixture.xdpOnly }, () => {});
        continue;
      }
      test(`${entry.name}: ${fixture.name}`, (t) => {
        if (fixture.guePort !== undefined) {
          decap.maps.settings.update(0, { gue_port: fixture.guePort });
          t.after(() => decap.maps.settings.update(0, { gue_port: HOST.guePort }));
        }
        const run = entry.name === 'xdp' ? decap.testRunXdp({ data: fixture.input }) : decap.testRunTc({ data: fixture.input });
        const frame = fixture.stripped ?? fixture.input;
        assert.equal(run.actionName, isDrop(fixture.outcome) ? entry.drop : entry.pass, 'action');
        assert.ok(run.data.equals(frame), describeFrameDifference(run.data, frame));
        expected.set(fixture.outcome, (expected.get(fixture.outcome) ?? 0) + 1);
      });
    }
  }

  test('counters: one outcome per packet and entry point, each the fixtures expect', () => {
    const outcomes = Object.keys(SluiceDecapCounter).filter((name) => name !== 'DECAP_CNT_MAX') as DecapOutcome[];
    let total = 0;
    for (const outcome of outcomes) {
      const counted = Number(decap.maps.counters.lookupSum(SluiceDecapCounter[outcome]) ?? 0n);
      assert.equal(counted, expected.get(outcome) ?? 0, outcome);
      total += counted;
    }
    const runs = DECAP_FIXTURES.length * ENTRY_POINTS.length - DECAP_FIXTURES.filter((f) => f.xdpOnly).length;
    assert.equal(total, runs, 'the outcomes add up to every packet run');
    /* Every outcome but a refused strip (which needs the kernel to fail) has a fixture. */
    for (const outcome of outcomes.filter((o) => o !== 'DECAP_CNT_DROP_STRIP_FAILED')) assert.ok((expected.get(outcome) ?? 0) > 0, `a fixture for ${outcome}`);
  });
});
