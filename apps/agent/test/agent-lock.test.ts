// The one-agent lock: a second claim on the same data dir or pin dir is
// refused with the holder's pid (read back from /proc/locks), and the lock
// is free again once released. flock conflicts between two opens of the
// same directory even within one process, so one process can play both.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { AgentLockedError, claimAgentLock } from '../src/agent-lock.js';
import { scratchBpffs } from '@sluice/dataplane/test-helpers';

const bpffs = scratchBpffs();
const dataDir = mkdtempSync(join(tmpdir(), 'sluice-lock-'));
const otherDataDir = mkdtempSync(join(tmpdir(), 'sluice-lock-'));
const otherBpffs = scratchBpffs();
after(() => {
  bpffs.remove();
  otherBpffs.remove();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(otherDataDir, { recursive: true, force: true });
});

function refusal(claim: () => unknown): AgentLockedError {
  try {
    claim();
  } catch (error) {
    assert.ok(error instanceof AgentLockedError, `expected AgentLockedError, got ${(error as Error).message}`);
    return error;
  }
  assert.fail('the second claim was not refused');
}

test('a second claim on the same dirs is refused, naming the holder pid; after release it succeeds', () => {
  const first = claimAgentLock({ dataDir, pinDir: bpffs.dir });
  const error = refusal(() => claimAgentLock({ dataDir, pinDir: bpffs.dir }));
  assert.equal(error.holderPid, process.pid);
  assert.equal(error.path, dataDir);
  assert.match(error.message, new RegExp(`another sluice agent \\(pid ${process.pid}\\) is running on ${dataDir}; .*kill ${process.pid}`));
  first.release();
  claimAgentLock({ dataDir, pinDir: bpffs.dir }).release();
});

test('the pin dir alone is enough to refuse (another data dir, the same data plane)', () => {
  const first = claimAgentLock({ dataDir, pinDir: bpffs.dir });
  try {
    const error = refusal(() => claimAgentLock({ dataDir: otherDataDir, pinDir: bpffs.dir }));
    assert.equal(error.path, bpffs.dir);
    assert.equal(error.holderPid, process.pid);
    /* The refused claim let go of the data dir it had locked: another agent may use it. */
    claimAgentLock({ dataDir: otherDataDir, pinDir: otherBpffs.dir }).release();
  } finally {
    first.release();
  }
});
