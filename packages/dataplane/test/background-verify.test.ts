/*
 * A fresh start whose program is verified on a thread (verifyInBackground):
 * the maps are pinned and writable at once, the program arrives later over
 * those same maps (a restart takes it over as its own), and a data plane
 * closed mid-verification lets the thread finish without harm.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { MAP_NAMES, loadDataplane, verifiedInstructionsOfFd } from '../src/index.js';
import { SMALL_MAPS, objectPath, scratchBpffs } from './helpers.js';

describe('verification in the background', () => {
  let bpffs: ReturnType<typeof scratchBpffs>;
  beforeEach(() => {
    bpffs = scratchBpffs();
  });
  afterEach(() => bpffs.remove());

  it('maps pinned and writable at once, the program later, on those maps: a restart takes it over', async () => {
    const dp = loadDataplane({ objectPath: objectPath(), pinDir: bpffs.dir, maxEntries: SMALL_MAPS, verifyInBackground: true });
    try {
      assert.equal(dp.programPending, true);
      assert.throws(() => dp.programFd, /still being verified/);
      assert.throws(() => dp.testRun({ data: Buffer.alloc(64) }), /still being verified/);
      for (const name of MAP_NAMES) assert.ok(existsSync(join(bpffs.dir, name)), `${name} pinned before the program is in`);
      /* Written while the verifier runs. */
      dp.maps.rrCursors.update(3, 41n);
      await dp.programLoaded();
      assert.equal(dp.programPending, false);
      assert.ok(verifiedInstructionsOfFd(dp.programFd) > 0, 'a verified program');
      assert.ok(dp.programId > 0);
      /* The same settings and build over the same pins: the program found running there is this one, on these maps. */
      const restarted = loadDataplane({ objectPath: objectPath(), pinDir: bpffs.dir, maxEntries: SMALL_MAPS });
      try {
        assert.equal(restarted.program.takenOver, true, restarted.program.why);
        assert.equal(restarted.programId, dp.programId);
        assert.equal(restarted.maps.rrCursors.lookup(3), 41n);
      } finally {
        restarted.close();
      }
    } finally {
      dp.close();
    }
  });

  it('a start that adopts maps loads as usual, whatever the option says', async () => {
    loadDataplane({ objectPath: objectPath(), pinDir: bpffs.dir, maxEntries: SMALL_MAPS, tunables: { flow_events_on: 1n } }).close();
    const dp = loadDataplane({ objectPath: objectPath(), pinDir: bpffs.dir, maxEntries: SMALL_MAPS, verifyInBackground: true });
    try {
      assert.equal(dp.programPending, false);
      assert.ok(dp.programFd > 0);
      await dp.programLoaded();
    } finally {
      dp.close();
    }
  });

  it('closed while the thread verifies: the load finishes, its object is released, nothing throws', async () => {
    const dp = loadDataplane({ objectPath: objectPath(), pinDir: bpffs.dir, maxEntries: SMALL_MAPS, verifyInBackground: true });
    assert.equal(dp.programPending, true);
    dp.close();
    await dp.programLoaded();
    assert.equal(dp.programPending, true, 'never handed out after close');
    for (const name of MAP_NAMES) assert.ok(existsSync(join(bpffs.dir, name)), `${name} stays pinned`);
  });
});
