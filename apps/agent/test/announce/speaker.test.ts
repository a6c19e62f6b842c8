// The speaker against the real BIRD (no router: its one peer is 127.0.0.2 on
// loopback, so nothing leaves the host and the session never comes up): the
// config applied through birdc configure, a refused config put back with
// BIRD's words and the old routes kept, a killed BIRD started again with
// the routes last applied, and stop() leaving no process.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parseBgpSettings } from '../../src/announce/bgp-settings.js';
import { Speaker } from '../../src/announce/speaker.js';

const dir = mkdtempSync(join(tmpdir(), 'sluice-speaker-'));
const settings = parseBgpSettings({ localAs: 65001, routerId: '127.0.0.1', peers: [{ address: '127.0.0.2', as: 65000 }], bfd: false, pollMs: 100 }, 'test');
const speaker = new Speaker(settings, join(dir, 'bgp'));
const T = { timeout: 30_000 };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The static routes BIRD holds now (what it would export once a session is up). */
const birdStatics = () =>
  execFileSync('birdc', ['-s', speaker.files.socket, 'show', 'route', 'protocol', 'sluice_vips4'], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => /^\d/.test(line))
    .map((line) => line.split(/\s+/)[0])
    .sort();
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

before(async () => {
  await speaker.start();
});

after(async () => {
  await speaker.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('BIRD runs from the run directory; the peer is read back as not established', T, async () => {
  const status = await speaker.read();
  assert.equal(status.running, true);
  assert.ok(status.pid && alive(status.pid));
  assert.equal(status.error, null);
  assert.equal(status.peers.length, 1);
  assert.equal(status.peers[0]!.established, false);
  assert.match(status.peers[0]!.state, /^(Down|Idle|Connect|Active)$/);
  assert.deepEqual(status.peers[0]!.routes, []);
  assert.deepEqual(birdStatics(), []);
});

test('apply configures the VIPs into the running BIRD without restarting it', T, async () => {
  const pid = speaker.status.pid;
  await speaker.apply({ ipv4: ['198.18.100.1', '198.18.100.2'], ipv6: [] });
  assert.deepEqual(birdStatics(), ['198.18.100.1/32', '198.18.100.2/32']);
  assert.equal((await speaker.read()).pid, pid);
  assert.match(readFileSync(speaker.files.config, 'utf8'), /route 198\.18\.100\.2\/32 unreachable;/);
});

test('a config BIRD refuses is put back; the error carries BIRD words and the routes stay', T, async () => {
  const before = readFileSync(speaker.files.config, 'utf8');
  await assert.rejects(
    speaker.apply({ ipv4: ['198.18.100.300'], ipv6: [] }),
    /BIRD refused the new configuration \(.*bird\.conf:\d+:\d+ .*\); it keeps announcing 198\.18\.100\.1, 198\.18\.100\.2/,
  );
  assert.equal(readFileSync(speaker.files.config, 'utf8'), before);
  assert.deepEqual(birdStatics(), ['198.18.100.1/32', '198.18.100.2/32']);
  assert.match((await speaker.read()).error!, /BIRD refused/);
  // The next good apply clears the error.
  await speaker.apply({ ipv4: ['198.18.100.1'], ipv6: [] });
  assert.equal((await speaker.read()).error, null);
});

test('a BIRD killed from outside is started again with the routes last applied', T, async () => {
  const pid = speaker.status.pid!;
  process.kill(pid, 'SIGKILL');
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && !((await speaker.read()).running && speaker.status.pid !== pid)) await sleep(100);
  assert.equal(speaker.status.running, true, 'BIRD running again');
  assert.notEqual(speaker.status.pid, pid);
  assert.equal(speaker.status.restarts, 1);
  assert.deepEqual(birdStatics(), ['198.18.100.1/32']);
});

test('stop ends BIRD', T, async () => {
  const pid = speaker.status.pid!;
  await speaker.stop();
  assert.equal(alive(pid), false);
  assert.equal((await speaker.read()).running, false);
});
