/*
 * What the kernel reports about the loaded program (program-info.ts): the
 * verifier's work, which the bench holds against its limit. Each test loads
 * the real object into its own scratch bpffs.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { DataplaneError, type Dataplane, VERIFIER_INSTRUCTION_LIMIT, loadDataplane, verifiedInstructionsOfFd } from '../src/index.js';
import { SMALL_MAPS, objectPath, scratchBpffs } from './helpers.js';

describe("the verifier's work on the program", () => {
  let bpffs: ReturnType<typeof scratchBpffs>;
  const open: Dataplane[] = [];
  beforeEach(() => {
    bpffs = scratchBpffs();
  });
  afterEach(() => {
    for (const dp of open.splice(0)) dp.close();
    bpffs.remove();
  });

  it('is the same on every load of one build, and within the limit', () => {
    const counts = [1, 2].map((n) => {
      const dp = loadDataplane({ objectPath: objectPath(), pinDir: `${bpffs.dir}/${n}`, maxEntries: SMALL_MAPS });
      open.push(dp);
      return verifiedInstructionsOfFd(dp.programFd);
    });
    /* A program of this size takes the verifier far more than its own length (a few thousand instructions). */
    assert.ok(counts[0]! > 10_000, `verified_insns ${counts[0]}`);
    assert.ok(counts[0]! < VERIFIER_INSTRUCTION_LIMIT, `verified_insns ${counts[0]}`);
    assert.equal(counts[1], counts[0], 'the verifier walks the same program the same way');
  });

  it('a descriptor that is no program is an error, not a count', () => {
    assert.throws(
      () => verifiedInstructionsOfFd(0),
      (err: unknown) => err instanceof DataplaneError && err.call === 'bpf_obj_get_info_by_fd',
    );
  });
});
