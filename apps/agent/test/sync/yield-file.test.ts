/* The split-brain yield as keepalived's track_file (yield-file.ts): what it holds, when it is written, and a file it cannot write. */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { YieldFile } from '../../src/sync/yield-file.js';

const dir = mkdtempSync(join(tmpdir(), 'sluice-yield-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('"0" at start over a dead agent\'s "1"; "1" while yielding; only a change is written, whole (no temporary file left)', () => {
  const path = join(dir, 'yield');
  writeFileSync(path, '1\n');
  const file = new YieldFile(path);
  assert.equal(readFileSync(path, 'utf8'), '0\n');
  const logs: string[] = [];
  const log = (level: string, message: string) => logs.push(`${level} ${message}`);
  file.set(true, log);
  assert.equal(readFileSync(path, 'utf8'), '1\n');
  const inode = statSync(path).ino;
  file.set(true, log);
  assert.equal(statSync(path).ino, inode, 'no change: not written again (each write is a new file renamed over the old)');
  file.set(false, log);
  assert.equal(readFileSync(path, 'utf8'), '0\n');
  assert.notEqual(statSync(path).ino, inode);
  assert.deepEqual(readdirSync(dir), ['yield']);
  assert.deepEqual(logs, []);
});

test('a file that cannot be written: the start is refused naming it; a later failure is logged once and the next change tried again', () => {
  assert.throws(() => new YieldFile(join(dir, 'missing', 'yield')), /sync yield file .*missing\/yield: ENOENT/);

  const sub = join(dir, 'sub');
  mkdirSync(sub);
  const path = join(sub, 'yield');
  const file = new YieldFile(path);
  rmSync(sub, { recursive: true });
  const logs: string[] = [];
  const log = (level: string, message: string) => logs.push(`${level} ${message}`);
  file.set(true, log);
  file.set(true, log);
  file.set(false, log);
  assert.equal(logs.length, 1, logs.join('\n'));
  assert.match(logs[0]!, /^error sync yield file .*: ENOENT.*node check only/);
  mkdirSync(sub);
  file.set(true, log);
  assert.equal(readFileSync(path, 'utf8'), '1\n');
  assert.match(logs[1]!, /^info sync yield file .*: written again/);
});
