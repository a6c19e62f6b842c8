/* --hash-seed: flag and settings file, validation before anything is claimed or attached, and what reaches the program and its tables. */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import { FLOW_HASH_SEED } from '@sluice/dataplane';
import { buildMaglevTable, flowHashSeed } from '@sluice/dataplane/lookup';
import { SMALL_MAPS, objectPath, scratchBpffs } from '@sluice/dataplane/test-helpers';
import { startDataplane } from '../src/operations/dataplane-owner.js';
import { ManualHealth, startTestAgent } from './operations/helpers.js';
import { WEB, addWebService, be } from './operations/web-service.js';
import { agentSettingsFromArgs } from '../src/main.js';
import { resolveSettings } from '../src/settings.js';

const RANGE = /hashSeed must be (a whole number )?0 to 4294967295 \(2\^32-1\)/;

describe('hash seed setting', () => {
  it('defaults to 0, takes the flag and the settings file key, the flag wins', () => {
    assert.equal(agentSettingsFromArgs([]).hashSeed, 0);
    assert.equal(agentSettingsFromArgs(['--hash-seed', '4294967295']).hashSeed, 4294967295);
    assert.equal(agentSettingsFromArgs(['--hash-seed', '0x2a']).hashSeed, 42);
    assert.equal(resolveSettings({ hashSeed: 7 }, {}).hashSeed, 7);
    assert.equal(resolveSettings({ hashSeed: 7 }, { hashSeed: 9 }).hashSeed, 9);
  });

  it('refuses negative, fractional, too large, empty and non-numeric seeds, naming the setting and its range', () => {
    assert.throws(() => agentSettingsFromArgs(['--hash-seed=-1']), RANGE);
    assert.throws(() => agentSettingsFromArgs(['--hash-seed', '4294967296']), RANGE);
    assert.throws(() => agentSettingsFromArgs(['--hash-seed', '1.5']), RANGE);
    assert.throws(() => agentSettingsFromArgs(['--hash-seed', 'random']), /--hash-seed must be a number, not "random"/);
    assert.throws(() => agentSettingsFromArgs(['--hash-seed=']), /--hash-seed must be a number, not ""/);
    assert.throws(() => resolveSettings({ hashSeed: '5' }, {}), /hashSeed/);
  });

  it('reaches the loaded program as flow_hash_seed; unset keeps the C default (seed 0)', () => {
    for (const [hashSeed, want] of [
      [undefined, FLOW_HASH_SEED],
      [0, FLOW_HASH_SEED],
      [12345, flowHashSeed(12345)],
    ] as const) {
      const bpffs = scratchBpffs();
      try {
        const dp = startDataplane({
          objectPath: objectPath(),
          pinDir: bpffs.dir,
          interfaces: [],
          xdpMode: 'native',
          maxEntries: SMALL_MAPS,
          ...(hashSeed === undefined ? {} : { hashSeed }),
        });
        try {
          assert.equal(dp.tunables().flow_hash_seed, BigInt(want), `hash seed ${hashSeed}`);
        } finally {
          dp.close();
        }
      } finally {
        bpffs.remove();
      }
    }
  });

  it('a bad seed given to the owner directly is refused before anything is pinned', () => {
    const bpffs = scratchBpffs();
    const fresh = readdirSync(bpffs.dir);
    try {
      assert.throws(
        () => startDataplane({ objectPath: objectPath(), pinDir: bpffs.dir, interfaces: [], xdpMode: 'native', maxEntries: SMALL_MAPS, hashSeed: 2 ** 32 }),
        /hash seed must be a whole number 0 to 4294967295/,
      );
      assert.deepEqual(readdirSync(bpffs.dir), fresh);
    } finally {
      bpffs.remove();
    }
  });

  it('an agent builds its Maglev tables with its seed, and an upgrade (pinned maps adopted) with a new seed rebuilds them', { timeout: 30_000 }, async () => {
    let t = await startTestAgent(undefined, new ManualHealth(), { hashSeed: 0xbeef });
    try {
      await addWebService(t);
      const liveTable = () => {
        const id = t.agent.serviceDataplaneId(WEB)!;
        const config = [...t.maps.services.values()].find((v) => v.id === id)!;
        return t.maps.lookupTables.lookup(id * 2 + config.active_table)!.slots;
      };
      /* The table model: Maglev over the backends' keys, weights and the ids the agent gave them. */
      const expected = (hashSeed: number) => {
        const ids = t.agent.placement().get(WEB)!.backends;
        const backends = [be(1), be(2)].map((key, i) => ({ id: ids.get(key)!, key, weight: i === 0 ? 1 : 3 }));
        return buildMaglevTable(backends, liveTable().length, hashSeed);
      };
      const sameAs = (a: Uint16Array, b: Uint16Array) =>
        Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
      assert.ok(sameAs(liveTable(), expected(0xbeef)), 'started with seed 0xbeef: its table');
      assert.ok(!sameAs(liveTable(), expected(0)), "seed 0xbeef's table is not seed 0's");
      for (const hashSeed of [0, 0xbeef]) {
        t = await t.restart(new ManualHealth(), { hashSeed });
        assert.ok((await t.as('viewer').agent.info()).adoptedMaps > 0, 'the restart adopted the pinned maps');
        assert.ok(sameAs(liveTable(), expected(hashSeed)), `after a restart with seed ${hashSeed}: that seed's table`);
      }
    } finally {
      t.stop();
    }
  });
});
