/*
 * keepalived's notify FIFO (vrrp-notify-fifo.ts): its lines as roles, read in
 * the order written whatever the writes' sizes; lines written before the
 * reader starts or while no writer has it open; a FIFO replaced or removed
 * under the path (keepalived's own, when it stops and starts); a path that is
 * not a FIFO. The writer here does what keepalived does: opens the path
 * O_RDWR|O_NONBLOCK and writes whole lines (lib/notify.c, vrrp_notify.c).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { NodeRoleInput } from '@sluice/api';
import { VrrpNotifyFifo, parseNotifyLine } from '../../src/announce/vrrp-notify-fifo.js';

const dir = mkdtempSync(join(tmpdir(), 'sluice-vrrp-fifo-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/* What keepalived writes for each state (`%s "%s" %s %d\n`). */
const line = (state: string, instance = 'sluice_vi', priority = 150) => `INSTANCE "${instance}" ${state} ${priority}\n`;

function keepalivedWriter(path: string) {
  const fd = openSync(path, constants.O_RDWR | constants.O_NONBLOCK);
  return { write: (text: string) => writeSync(fd, text), close: () => closeSync(fd) };
}

function reader(path: string) {
  const logs: string[] = [];
  const reports: NodeRoleInput[] = [];
  const fifo = new VrrpNotifyFifo(path, (level, message) => logs.push(`${level} ${message}`));
  const start = () => fifo.start((input) => reports.push(input));
  /* Resolves once `count` reports are in; a bounded wait, failing with what came. */
  const reported = async (count: number, withinMs = 5000) => {
    const deadline = Date.now() + withinMs;
    while (reports.length < count) {
      if (Date.now() > deadline)
        assert.fail(`${reports.length} of ${count} reports within ${withinMs} ms: ${JSON.stringify(reports)}; log: ${logs.join(' | ')}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return reports.map((r) => r.role);
  };
  return { fifo, start, reports, reported, logs };
}

test('each keepalived state line is a role; priority and lower-priority-advert lines, group lines and noise are not', () => {
  assert.deepEqual(parseNotifyLine('INSTANCE "sluice_vi" MASTER 150'), { role: 'master', instance: 'sluice_vi' });
  assert.deepEqual(parseNotifyLine('INSTANCE "sluice_vi" BACKUP 100'), { role: 'backup', instance: 'sluice_vi' });
  assert.deepEqual(parseNotifyLine('INSTANCE "sluice_vi" FAULT 0'), { role: 'fault', instance: 'sluice_vi' });
  assert.deepEqual(parseNotifyLine('INSTANCE "sluice_vi" STOP 150'), { role: 'stop', instance: 'sluice_vi' });
  /* Removed from the config by a reload: the node no longer holds that instance's VIPs. */
  assert.deepEqual(parseNotifyLine('INSTANCE "sluice_vi" DELETED 150'), { role: 'stop', instance: 'sluice_vi' });
  for (const other of [
    'INSTANCE "sluice_vi" MASTER_PRIORITY 140',
    'INSTANCE "sluice_vi" BACKUP_PRIORITY 90',
    'INSTANCE "sluice_vi" MASTER_RX_LOWER_PRI 150',
    'GROUP "pair" MASTER 0',
    'INSTANCE sluice_vi MASTER 150',
    '',
  ])
    assert.equal(parseNotifyLine(other), null, other);
  /* keepalived takes names the API does not: the role still counts, without the name. */
  assert.deepEqual(parseNotifyLine('INSTANCE "vi with spaces" MASTER 150'), { role: 'master' });
});

test('made when missing (root only), opened before the agent reads: earlier lines come first, then every line in order, split or joined', async () => {
  const path = join(dir, 'order');
  const r = reader(path);
  const stat = statSync(path);
  assert.ok(stat.isFIFO());
  assert.equal(stat.mode & 0o777, 0o600);
  const keepalived = keepalivedWriter(path);
  /* Written while the agent still starts: they wait in the pipe. */
  keepalived.write(line('BACKUP', 'sluice_vi', 100));
  keepalived.write(line('MASTER', 'sluice_vi', 100));
  r.start();
  /* A start-up master answered by the peer's advert: backup right after, in one write and in pieces. */
  keepalived.write(line('BACKUP', 'sluice_vi', 100) + line('FAULT', 'sluice_vi', 0));
  const split = line('BACKUP', 'sluice_vi', 100) + line('MASTER', 'sluice_vi', 100);
  for (let at = 0; at < split.length; at += 7) keepalived.write(split.slice(at, at + 7));
  assert.deepEqual(await r.reported(6), ['backup', 'master', 'backup', 'fault', 'backup', 'master']);
  /* keepalived closed and opened again (a restart that keeps the FIFO): the reader saw no end. */
  keepalived.close();
  const again = keepalivedWriter(path);
  again.write(line('BACKUP'));
  assert.deepEqual((await r.reported(7)).at(-1), 'backup');
  again.close();
  r.fifo.close();
  assert.deepEqual(r.logs, []);
});

test('a FIFO replaced under the path (keepalived made it and made a new one) or removed: followed within seconds', async () => {
  const path = join(dir, 'replaced');
  const r = reader(path);
  r.start();
  const first = keepalivedWriter(path);
  first.write(line('MASTER'));
  await r.reported(1);
  /* keepalived stopping: its STOP line, then it unlinks the FIFO it made; starting again, it makes a new one. */
  first.write(line('STOP'));
  rmSync(path);
  first.close();
  execFileSync('mkfifo', ['-m', '600', path]);
  const second = keepalivedWriter(path);
  second.write(line('BACKUP'));
  second.write(line('MASTER'));
  assert.deepEqual(await r.reported(4), ['master', 'stop', 'backup', 'master']);
  second.close();
  /* Removed, and nobody makes it: the reader does, so a keepalived that starts later finds it. */
  rmSync(path);
  const deadline = Date.now() + 5000;
  while (!statSafe(path)?.isFIFO()) {
    assert.ok(Date.now() < deadline, 'the reader made the FIFO again within 5 s');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const third = keepalivedWriter(path);
  third.write(line('FAULT', 'sluice_vi', 0));
  assert.deepEqual((await r.reported(5)).at(-1), 'fault');
  third.close();
  r.fifo.close();
  assert.equal(r.logs.filter((entry) => entry.startsWith('error')).length, 0, r.logs.join(' | '));
});

test('a path that is not a FIFO, or cannot be made, refuses the start naming it', () => {
  const file = join(dir, 'regular');
  writeFileSync(file, 'not a fifo\n');
  assert.throws(() => new VrrpNotifyFifo(file, () => undefined), /VRRP notify FIFO .*regular: exists and is not a FIFO/);
  assert.throws(() => new VrrpNotifyFifo(join(dir, 'missing', 'fifo'), () => undefined), /VRRP notify FIFO .*missing\/fifo: /);
});

function statSafe(path: string) {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}
