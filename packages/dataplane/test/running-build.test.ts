/*
 * Taking over the running program (running-build.ts): a start on the pins of
 * the same build with the same settings uses the program already there
 * instead of loading and verifying it again; anything else loads anew.
 * Each test mounts its own bpffs in a temporary directory.
 */
import assert from 'node:assert/strict';
import { copyFileSync, appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { type Dataplane, loadDataplane } from '../src/index.js';
import { libbpf } from '../src/libbpf.js';
import { SMALL_MAPS, objectPath, scratchBpffs } from './helpers.js';

describe('taking over the running program', () => {
  let bpffs: ReturnType<typeof scratchBpffs>;
  const open: Dataplane[] = [];
  const load = (options: Partial<Parameters<typeof loadDataplane>[0]> = {}) => {
    const dp = loadDataplane({ objectPath: objectPath(), pinDir: bpffs.dir, maxEntries: SMALL_MAPS, ...options });
    open.push(dp);
    return dp;
  };
  beforeEach(() => {
    bpffs = scratchBpffs();
  });
  afterEach(() => {
    for (const dp of open.splice(0)) dp.close();
    bpffs.remove();
  });

  it('the same build with the same settings on its own pins: the running program, its settings and maps, no new load', () => {
    const first = load({ tunables: { too_big_answers_per_second: 77n } });
    assert.deepEqual(first.program, { takenOver: false, why: 'a fresh start: no pinned map is adopted' });
    const second = load({ tunables: { too_big_answers_per_second: 77n } });
    assert.equal(second.program.takenOver, true, second.program.why);
    assert.equal(second.programId, first.programId);
    assert.deepEqual(second.tunables(), first.tunables());
    assert.equal(second.tunables().too_big_answers_per_second, 77n);
    /* The same kernel maps. */
    second.maps.rrCursors.update(1, 42n);
    assert.equal(first.maps.rrCursors.lookup(1), 42n);
    /* The program still runs after the first owner lets go: the second holds its own reference. */
    first.close();
    assert.match(second.testRun({ data: Buffer.alloc(60) }).actionName, /^XDP_/);
  });

  it('other load-time settings: loaded anew', () => {
    const first = load({ tunables: { too_big_answers_per_second: 77n } });
    const second = load({ tunables: { too_big_answers_per_second: 78n } });
    assert.deepEqual(second.program, { takenOver: false, why: 'it runs with other load-time settings' });
    assert.notEqual(second.programId, first.programId);
    assert.equal(second.tunables().too_big_answers_per_second, 78n);
    /* The record now names the new program: a third start like it takes that one over. */
    const third = load({ tunables: { too_big_answers_per_second: 78n } });
    assert.equal(third.programId, second.programId);
  });

  it('the recorded program is gone (nothing attached it, its owner closed): loaded anew', () => {
    const first = load();
    const id = first.programId;
    first.close();
    const second = load();
    assert.deepEqual(second.program, { takenOver: false, why: `the recorded program (id ${id}) is gone` });
  });

  it('another build of the object: loaded anew', () => {
    load();
    const dir = mkdtempSync(join(tmpdir(), 'sluice-build-'));
    try {
      const other = join(dir, 'sluice.bpf.o');
      copyFileSync(objectPath(), other);
      /* Bytes past the ELF's sections: libbpf reads the same program, the build's sha256 differs. */
      appendFileSync(other, Buffer.from('another build'));
      const second = load({ objectPath: other });
      assert.deepEqual(second.program, { takenOver: false, why: 'another build runs' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a pinned map that is not the one the program uses (an upgrade cut short): loaded anew, on the pinned map', () => {
    const first = load();
    /* Another map of the same shape pinned at rr_cursors, as a migration's new map would be. */
    const elsewhere = scratchBpffs();
    try {
      const other = loadDataplane({ objectPath: objectPath(), pinDir: elsewhere.dir, maxEntries: SMALL_MAPS });
      open.push(other);
      rmSync(join(bpffs.dir, 'rr_cursors'));
      assert.equal(libbpf.bpf_obj_pin(other.maps.rrCursors.fd, join(bpffs.dir, 'rr_cursors')), 0);
      other.maps.rrCursors.update(2, 5n);
      const second = load();
      assert.deepEqual(second.program, { takenOver: false, why: 'the running program uses a map that is not pinned here' });
      assert.notEqual(second.programId, first.programId);
      assert.equal(second.maps.rrCursors.lookup(2), 5n);
    } finally {
      for (const dp of open.splice(1)) dp.close();
      elsewhere.remove();
    }
  });

  it('reusePinned: false never takes over', () => {
    load();
    const second = load({ reusePinned: false });
    assert.deepEqual(second.program, { takenOver: false, why: 'a fresh start: no pinned map is adopted' });
  });
});
