// Packet fixtures through BPF_PROG_TEST_RUN, in order, then the counters.
// Runs inside the namespace of fixture-network.sh (scripts/run-tests.sh bpf).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Dataplane, SluiceCounter, loadDataplane } from '@sluice/dataplane';
import { interfaceIndex } from '@sluice/dataplane';
import { Reconciler } from '@sluice/agent/reconciler';
import { FIXTURES } from './fixtures/index.ts';
import type { CounterName, Expectation } from './support/expect.ts';
import { type FixtureEnv, createEnv } from './support/fixture.ts';
import { ChoiceModel } from './support/model.ts';
import { buildPacket } from '@sluice/dataplane/test-packets';
import { BACKEND_FACING, CLIENT_FACING } from './support/network.ts';
import { describeFrameDifference } from './support/frame-diff.ts';
import { FIXTURE_MAP_SIZES, FIXTURE_TUNABLES, OBJECT_PATH } from './support/dataplane.ts';

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
      const result = dataplane.testRun({ data: input, ingressIfindex: interfaceIndex(ingress) });

      assert.equal(result.actionName, expected.action, 'XDP action');
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
    const sum = (field: 'packets' | 'reply_packets' | 'new_flows') =>
      services.reduce((total, id) => total + (dataplane.maps.serviceCounters.lookupSum(id)?.[field] ?? 0n), 0n);
    assert.ok(counter('CNT_FORWARD_PACKETS') > 50n, 'fixtures forwarded packets');
    assert.equal(sum('packets'), counter('CNT_FORWARD_PACKETS'), 'forward packets');
    assert.equal(sum('reply_packets'), counter('CNT_REPLY_PACKETS'), 'reply packets');
    assert.equal(sum('new_flows'), counter('CNT_FLOW_NEW'), 'new flows');
  });
});
