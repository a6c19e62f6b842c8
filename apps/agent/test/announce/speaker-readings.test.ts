// Readings of BIRD never overlap (the announce test's flake): on a starved
// machine one reading (4 birdc runs here) took 0.6-1.1 s, longer than the
// 250 ms poll, and overlapping readings finished in any order, so one begun
// before a change could replace a newer one. Here the real birdc is slowed by
// a wrapper (the starvation, made repeatable) and every run is logged: a
// reading's commands never interleave with another's, each reading starts
// after the one before it ended, the kept status is the newest, and polls do
// not pile up behind a slow reading.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parseBgpSettings } from '../../src/announce/bgp-settings.js';
import { Speaker } from '../../src/announce/speaker.js';

const dir = mkdtempSync(join(tmpdir(), 'sluice-speaker-readings-'));
const runs = join(dir, 'birdc-runs.log');
const slowBirdc = join(dir, 'slow-birdc');
/* The real birdc, 150 ms late, logging when each run begins and ends. */
writeFileSync(slowBirdc, `#!/bin/sh\necho "begin $$ $*" >> ${runs}\nsleep 0.15\nbirdc "$@"\nstatus=$?\necho "end $$" >> ${runs}\nexit $status\n`);
chmodSync(slowBirdc, 0o755);
const settings = parseBgpSettings(
  { localAs: 65001, routerId: '127.0.0.1', peers: [{ address: '127.0.0.2', as: 65000 }], bfd: false, pollMs: 100, birdcPath: slowBirdc },
  'test',
);
const speaker = new Speaker(settings, join(dir, 'bgp'));
const T = { timeout: 30_000 };

before(async () => {
  await speaker.start();
});

after(async () => {
  await speaker.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('concurrent readings run one after another; the kept status is the last one started', T, async () => {
  writeFileSync(runs, '');
  const started: number[] = [];
  const readings = [1, 2, 3].map(() => {
    started.push(Date.now());
    return speaker.read();
  });
  const statuses = await Promise.all(readings);
  for (const [i, status] of statuses.entries()) {
    assert.equal(status.error, null, `reading ${i}: ${status.error}`);
    assert.ok(status.readAt! >= started[i]!, `reading ${i} started after it was asked for`);
    if (i > 0) assert.ok(status.readAt! > statuses[i - 1]!.readAt!, `reading ${i} started after reading ${i - 1}`);
  }
  assert.equal(speaker.status, statuses[2], 'the status kept is the newest reading');
  /* birdc runs never overlap: each begin is followed by its own end. */
  const lines = readFileSync(runs, 'utf8').trim().split('\n');
  const commands = lines.filter((l) => l.startsWith('begin')).map((l) => l.split(' ').slice(4).join(' ')); /* begin PID -s SOCKET COMMAND... */
  assert.deepEqual(commands, ['show protocols all', 'show protocols all', 'show protocols all'], 'one show protocols per reading (the peer is not up)');
  for (let i = 0; i < lines.length; i += 2) {
    const pid = lines[i]!.split(' ')[1];
    assert.equal(lines[i + 1], `end ${pid}`, `runs interleaved:\n${lines.join('\n')}`);
  }
});

test('a poll while a reading is under way joins it instead of queueing another', T, async () => {
  writeFileSync(runs, '');
  const reading = speaker.read();
  const polled = [speaker.poll(), speaker.poll(), speaker.poll()];
  const [first, ...rest] = await Promise.all([reading, ...polled]);
  for (const status of rest) assert.equal(status, first);
  assert.equal(
    readFileSync(runs, 'utf8')
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('begin')).length,
    1,
    'one birdc run for the reading and the three polls',
  );
});
