// Packet fixtures through BPF_PROG_TEST_RUN, in order, then the counters.
// Runs inside the namespace of fixture-network.sh (scripts/run-tests.sh bpf).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Dataplane, SluiceBackendDrop, SluiceCounter, loadDataplane } from '@sluice/dataplane';
import { interfaceIndex } from '@sluice/dataplane';
import { Reconciler } from '@sluice/agent/reconciler';
import { FIXTURES } from './fixtures/index.ts';
import type { BackendSignal, CounterName, Expectation } from './support/expect.ts';
import { type FixtureEnv, type TrafficField, createEnv } from './support/fixture.ts';
import { ChoiceModel } from './support/model.ts';
import { buildPacket } from '@sluice/dataplane/test-packets';
import { BACKEND_FACING, CLIENT_FACING } from './support/network.ts';
import { describeFrameDifference } from './support/frame-diff.ts';
import { FIXTURE_MAP_SIZES, FIXTURE_TUNABLES, OBJECT_PATH } from './support/dataplane.ts';

/* Every backend's error signals (struct backend_errors summed over CPUs) as "id slot" -> count, zeros left out. */
function backendSignals(dataplane: Dataplane): Map<string, bigint> {
  const signals = new Map<string, bigint>();
  const drops = Object.entries(SluiceBackendDrop).filter(([name]) => name !== 'BACKEND_DROP_MAX') as [BackendSignal, number][];
  for (const [id, errors] of dataplane.maps.backendErrors.sums()) {
    for (const [name, slot] of drops) if (errors.drops[slot]) signals.set(`${id} ${name}`, errors.drops[slot]!);
    if (errors.resets) signals.set(`${id} resets`, errors.resets);
  }
  return signals;
}

/* What moved between two readings of backendSignals. */
function signalChanges(before: Map<string, bigint>, after: Map<string, bigint>): Record<string, string> {
  const changes: Record<string, string> = {};
  for (const key of new Set([...before.keys(), ...after.keys()])) {
    const delta = (after.get(key) ?? 0n) - (before.get(key) ?? 0n);
    if (delta !== 0n) changes[key] = `${delta > 0n ? '+' : ''}${delta}`;
  }
  return changes;
}

describe('packet fixtures', () => {
  let dataplane: Dataplane;
  let env: FixtureEnv;
  const expectedActions = new Map<string, number>();
  const expectedReasons = new Map<CounterName, number>();

  before(() => {
    dataplane = loadDataplane({ objectPath: OBJECT_PATH, maxEntries: FIXTURE_MAP_SIZES, tunables: FIXTURE_TUNABLES });
    const reconciler = new Reconciler(dataplane.maps, Reconciler.limitsOf(dataplane.maps, 1024));
    env = createEnv(dataplane.maps, new ChoiceModel(dataplane.maps), reconciler);
  });
  after(() => dataplane?.close());

  for (const fixture of FIXTURES) {
    test(fixture.name, (t) => {
      if (fixture.after) t.after(() => fixture.after!(env));
      fixture.before?.(env);
      const expected: Expectation = typeof fixture.expect === 'function' ? fixture.expect(env) : fixture.expect;
      const given = typeof fixture.input === 'function' ? fixture.input(env) : fixture.input;
      const input = Buffer.isBuffer(given) ? given : buildPacket(given);
      const ingress = fixture.ingress === 'backend' ? BACKEND_FACING.name : CLIENT_FACING.name;
      const signalsBefore = backendSignals(dataplane);
      const result = dataplane.testRun({ data: input, ingressIfindex: interfaceIndex(ingress) });

      assert.equal(result.actionName, expected.action, 'XDP action');
      /* Exactly the declared backend error signal moved, by one, or none at all. */
      const wanted = expected.backendSignal;
      assert.deepEqual(
        signalChanges(signalsBefore, backendSignals(dataplane)),
        wanted ? { [`${wanted.backendId} ${wanted.signal}`]: '+1' } : {},
        'backend error signals (backend id, slot)',
      );
      assert.ok(result.data.equals(expected.frame), describeFrameDifference(result.data, expected.frame));
      fixture.check?.(env);
      expectedActions.set(expected.action, (expectedActions.get(expected.action) ?? 0) + 1);
      if (expected.reason) expectedReasons.set(expected.reason, (expectedReasons.get(expected.reason) ?? 0) + 1);
    });
  }

  test('counters: actions add up to every packet, reasons to every refused one', () => {
    const counter = (name: CounterName) => Number(dataplane.maps.globalCounters.lookupSum(SluiceCounter[name]) ?? 0n);
    const actions = ['ABORTED', 'DROP', 'PASS', 'TX', 'REDIRECT'] as const;
    const total = actions.reduce((sum, action) => sum + counter(`CNT_ACTION_${action}`), 0);
    assert.equal(total, FIXTURES.length, 'action counters add up to the packets sent');
    for (const action of actions) assert.equal(counter(`CNT_ACTION_${action}`), expectedActions.get(`XDP_${action}`) ?? 0, `CNT_ACTION_${action}`);
    const reasons = (Object.keys(SluiceCounter) as CounterName[]).filter(
      (name) => name.startsWith('CNT_DROP_') || name.startsWith('CNT_PASS_') || name === 'CNT_TUNNEL_TOO_BIG',
    );
    for (const reason of reasons) assert.equal(counter(reason), expectedReasons.get(reason) ?? 0, reason);
  });

  test('counters: per-service traffic adds up to the global forward, reply and new-flow counts', () => {
    const counter = (name: CounterName) => dataplane.maps.globalCounters.lookupSum(SluiceCounter[name]) ?? 0n;
    const services = [...dataplane.maps.services.values()].map((config) => config.id);
    /* Services a fixture removed took their counters with them: the env kept what they had. */
    const sum = (field: TrafficField) =>
      services.reduce((total, id) => total + (dataplane.maps.serviceCounters.lookupSum(id)?.[field] ?? 0n), env.removedTraffic[field]);
    assert.ok(counter('CNT_FORWARD_PACKETS') > 50n, 'fixtures forwarded packets');
    assert.equal(sum('packets'), counter('CNT_FORWARD_PACKETS'), 'forward packets');
    assert.equal(sum('reply_packets'), counter('CNT_REPLY_PACKETS'), 'reply packets');
    assert.equal(sum('new_flows'), counter('CNT_FLOW_NEW'), 'new flows');
  });
});
