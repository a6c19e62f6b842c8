// The operator's hash seed reaches the program (its flow_hash_seed setting)
// and the agent's tables alike: under two seeds the same packets go to the
// backends that an independent TypeScript model (its own jhash, and the
// Maglev table built with the seed) predicts, and some of them to different
// backends under each seed, which is what makes a node with another seed
// break the flows it takes over.
// Runs inside the namespace of fixture-network.sh (scripts/run-tests.sh bpf).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Dataplane, interfaceIndex, loadDataplane } from '@sluice/dataplane';
import { buildMaglevTable, flowHashSeed } from '@sluice/dataplane/lookup';
import { Reconciler } from '@sluice/agent/reconciler';
import { serviceKeyOf } from '@sluice/agent/map-entries';
import { buildPacket } from '@sluice/dataplane/test-packets';
import { FIXTURE_MAP_SIZES, FIXTURE_TUNABLES, OBJECT_PATH } from './support/dataplane.ts';
import { type Expectation, forwardedTo } from './support/expect.ts';
import { describeFrameDifference } from './support/frame-diff.ts';
import { TCP, toVip } from './support/flows.ts';
import { hashFlow, hashSource } from './support/jhash.ts';
import { ChoiceModel, tupleOf } from './support/model.ts';
import { CLIENT_FACING } from './support/network.ts';
import { CLIENT, type Endpoint, SERVICES, type ServiceFixture, configOf } from './support/services.ts';

const SEEDS = [0, 0x2a5eed] as const;
const PORTS = Array.from({ length: 48 }, (_, i) => 41000 + i);
/* Source hash picks by client address alone: vary the address instead of the port. */
const CLIENTS = Array.from({ length: 48 }, (_, i) => `198.18.${1 + (i >> 6)}.${10 + (i & 63)}`);
const services = { maglev: SERVICES.maglev, sourceHash: SERVICES.sourceHash };

interface Run {
  dataplane: Dataplane;
  model: ChoiceModel;
}

function loadWithSeed(hashSeed: number): Run {
  const dataplane = loadDataplane({
    objectPath: OBJECT_PATH,
    maxEntries: FIXTURE_MAP_SIZES,
    tunables: { ...FIXTURE_TUNABLES, flow_hash_seed: BigInt(flowHashSeed(hashSeed)) },
  });
  new Reconciler(dataplane.maps, Reconciler.limitsOf(dataplane.maps, 1024), hashSeed).apply(configOf(services));
  return { dataplane, model: new ChoiceModel(dataplane.maps) };
}

/* The table the model expects: built here from the backends' keys and the ids the agent gave them, with the seed. */
function modelTable(run: Run, service: ServiceFixture, hashSeed: number): Uint16Array {
  const backends = service.backends.map((b) => ({ id: run.model.backendId(service, b), key: `${b.address}:${b.port}`, weight: 1 }));
  const size = run.dataplane.maps.lookupTables.valueBytes / 2;
  return buildMaglevTable(backends, size, hashSeed);
}

function endpointOfId(run: Run, service: ServiceFixture, id: number): Endpoint {
  const found = service.backends.find((b) => run.model.backendId(service, b) === id);
  if (!found) throw new Error(`id ${id} is no backend of ${service.address}`);
  return { address: found.address, port: found.port };
}

function sendAndCheck(run: Run, spec: Parameters<typeof buildPacket>[0], expected: Expectation, what: string): void {
  const result = run.dataplane.testRun({ data: buildPacket(spec), ingressIfindex: interfaceIndex(CLIENT_FACING.name) });
  assert.equal(result.actionName, expected.action, `${what}: XDP action`);
  assert.ok(result.data.equals(expected.frame), `${what}: ${describeFrameDifference(result.data, expected.frame)}`);
}

describe('hash seed', () => {
  for (const [name, service, packets, hashOf] of [
    ['maglev', services.maglev, PORTS.map((port) => toVip(services.maglev, CLIENT, port, { tcpFlags: TCP.SYN })), hashFlow],
    ['source hash', services.sourceHash, CLIENTS.map((client) => toVip(services.sourceHash, client, 40000, { tcpFlags: TCP.SYN })), hashSource],
  ] as const) {
    test(`${name}: the same ${packets.length} packets go where the model says under seed ${SEEDS[0]} and ${SEEDS[1]}, and some go elsewhere`, () => {
      const chosen = SEEDS.map((hashSeed) => {
        const run = loadWithSeed(hashSeed);
        try {
          const table = modelTable(run, service, hashSeed);
          const config = run.dataplane.maps.services.lookup(serviceKeyOf(service))!;
          const live = run.dataplane.maps.lookupTables.lookup(config.id * 2 + config.active_table)!.slots;
          assert.ok(
            Buffer.from(live.buffer, live.byteOffset, live.byteLength).equals(Buffer.from(table.buffer)),
            `the agent's table is Maglev's under seed ${hashSeed}`,
          );
          return packets.map((spec, n) => {
            const backend = endpointOfId(run, service, table[hashOf(tupleOf(spec), flowHashSeed(hashSeed)) % table.length]!);
            sendAndCheck(run, spec, forwardedTo(spec, backend), `packet ${n} under seed ${hashSeed}`);
            return `${backend.address}:${backend.port}`;
          });
        } finally {
          run.dataplane.close();
        }
      });
      const moved = packets.filter((_, n) => chosen[0]![n] !== chosen[1]![n]).length;
      /* Three backends: two independent choices differ for about 2/3 of the packets. */
      assert.ok(moved >= packets.length / 3, `only ${moved} of ${packets.length} packets change backend with the seed`);
    });
  }
});
