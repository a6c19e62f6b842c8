// The ICMP too-big answers are rate limited (RFC 4443 2.4(f)): with a budget
// of 3 per second, three packets too big once encapsulated are answered and
// the fourth in the same second is dropped unanswered and counted.
// Runs inside the namespace of fixture-network.sh (scripts/run-tests.sh bpf).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type Dataplane, SluiceBackendDrop, SluiceCounter, interfaceIndex, loadDataplane } from '@sluice/dataplane';
import { Reconciler } from '@sluice/agent/reconciler';
import { buildPacket } from '@sluice/dataplane/test-packets';
import { FIXTURE_MAP_SIZES, OBJECT_PATH } from './support/dataplane.ts';
import { TCP, toVip } from './support/flows.ts';
import { writeModes, writeTunnelSettings } from './support/modes.ts';
import { BACKEND_LINK_MTU, CLIENT_FACING } from './support/network.ts';
import { CLIENT, MODE_SERVICES, configOf } from './support/services.ts';
import { answeredTooBig } from './support/mode-expectations.ts';
import { describeFrameDifference } from './support/frame-diff.ts';
import { ChoiceModel } from './support/model.ts';

const BUDGET = 3;
const services = { ipipTcp: MODE_SERVICES.ipipTcp };
/* 1400 bytes of IPv4 (DF set) + 20 of IPIP over the 1400-byte backend link. */
const tooBig = (port: number) => toVip(services.ipipTcp, CLIENT, port, { tcpFlags: TCP.ACK | TCP.PSH, payload: Buffer.alloc(1400 - 40, 0x62) });

let dataplane: Dataplane;
before(() => {
  dataplane = loadDataplane({ objectPath: OBJECT_PATH, maxEntries: FIXTURE_MAP_SIZES, tunables: { too_big_answers_per_second: BigInt(BUDGET) } });
  new Reconciler(dataplane.maps, Reconciler.limitsOf(dataplane.maps, 1024)).apply(configOf(services));
  writeModes(dataplane.maps, services);
  writeTunnelSettings(dataplane.maps);
});
after(() => dataplane?.close());

test(`too big: ${BUDGET} ICMP answers per second, then dropped unanswered (CNT_DROP_TOO_BIG_RATE)`, () => {
  const counter = (name: keyof typeof SluiceCounter) => dataplane.maps.globalCounters.lookupSum(SluiceCounter[name]) ?? 0n;
  const ingressIfindex = interfaceIndex(CLIENT_FACING.name);
  const model = new ChoiceModel(dataplane.maps);
  /* Per backend id, the too-big signals the model's choices say each packet adds: [answered, over the rate]. */
  const expectedSignals = new Map<number, [bigint, bigint]>();
  const charge = (port: number, slot: 0 | 1) => {
    const id = model.backendId(services.ipipTcp, model.expectedBackend(services.ipipTcp, tooBig(port)));
    const signals = expectedSignals.get(id) ?? [0n, 0n];
    signals[slot] += 1n;
    expectedSignals.set(id, signals);
  };
  const started = process.hrtime.bigint();
  for (let n = 0; n < BUDGET; n++) {
    charge(49000 + n, 0);
    const expected = answeredTooBig(tooBig(49000 + n), BACKEND_LINK_MTU - 20);
    const result = dataplane.testRun({ data: buildPacket(tooBig(49000 + n)), ingressIfindex });
    assert.equal(result.actionName, expected.action, `answer ${n + 1}`);
    assert.ok(result.data.equals(expected.frame), describeFrameDifference(result.data, expected.frame));
  }
  charge(49000 + BUDGET, 1);
  const input = buildPacket(tooBig(49000 + BUDGET));
  const result = dataplane.testRun({ data: input, ingressIfindex });
  const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
  assert.ok(
    elapsedMs < 1000,
    `the ${BUDGET + 1} packets took ${elapsedMs} ms: the one-second window rolled over, so the test proves nothing (machine overloaded?)`,
  );
  assert.equal(result.actionName, 'XDP_DROP', 'over the budget: dropped');
  assert.ok(result.data.equals(input), 'the dropped packet is untouched');
  assert.equal(counter('CNT_TUNNEL_TOO_BIG'), BigInt(BUDGET));
  assert.equal(counter('CNT_DROP_TOO_BIG_RATE'), 1n);
  /* The same four on their backends' error signals, by the chosen backend, and nothing else. */
  const seen = new Map<number, [bigint, bigint]>();
  for (const [id, errors] of dataplane.maps.backendErrors.sums()) {
    const answered = errors.drops[SluiceBackendDrop.BACKEND_DROP_TOO_BIG]!;
    const overRate = errors.drops[SluiceBackendDrop.BACKEND_DROP_TOO_BIG_RATE]!;
    assert.equal(
      errors.drops.reduce((a, b) => a + b, 0n),
      answered + overRate,
      `backend ${id}: no other drop reason`,
    );
    if (answered || overRate) seen.set(id, [answered, overRate]);
  }
  assert.deepEqual(seen, expectedSignals, 'per backend id: [too big answered, too big over the rate]');
});
