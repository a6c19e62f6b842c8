/*
 * A second `sluice agent` on the same pin dir, data dir and socket while one
 * runs: it exits non-zero naming the running agent's pid, before it touches
 * anything. The first agent's XDP program (by id), its pinned maps, its
 * socket (by inode), its API and a split-brain yield file are as they were,
 * and it still forwards.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { execInChecked } from '@sluice/testbed/netns';
import { http } from '@sluice/testbed/client-traffic';
import { AgentProcess, sluiceOk } from '@sluice/testbed/agent-process';
import { apiClient, waitForEligible } from '@sluice/testbed/api-client';
import { type Network, setUpNetwork, tearDownNetwork } from './support/network.ts';
import { pinnedConfigMaps } from './support/state.ts';

const VIP = '198.18.100.1';
const HTTP = 8080;
const SERVICE = `${VIP}:${HTTP}/tcp`;
/* The refusal comes before the store opens or a program loads: seconds at most, even on a loaded machine. */
const REFUSE_WITHIN_MS = 30_000;
const T = { timeout: 90_000 };

let network: Network;
let agent: AgentProcess | undefined;

before(async () => {
  network = await setUpNetwork();
  agent = await AgentProcess.start(network);
  await sluiceOk(network, ['service', 'add', SERVICE, '--algorithm', 'round-robin']);
  for (const b of network.topology.backends) await sluiceOk(network, ['backend', 'add', SERVICE, `${b.ipv4}:${HTTP}`]);
  await waitForEligible(network, SERVICE, network.topology.backends.length);
});

after(async () => {
  try {
    await agent?.stopAndTeardown();
  } finally {
    await tearDownNetwork();
  }
});

/** The id of the XDP program on each balancer interface, as the kernel reports it. */
async function attachedProgramIds(): Promise<Record<string, number | undefined>> {
  const ids: Record<string, number | undefined> = {};
  for (const ifname of network.interfaces) {
    const { stdout } = await execInChecked(network.topology.lb.namespace, 'ip', ['-j', 'link', 'show', 'dev', ifname]);
    const [link] = JSON.parse(stdout) as { xdp?: { prog?: { id: number } } }[];
    ids[ifname] = link?.xdp?.prog?.id;
  }
  return ids;
}

test("a second agent refuses, naming the first one's pid, and changes nothing", T, async () => {
  const { socket } = AgentProcess.paths(network);
  const programsBefore = await attachedProgramIds();
  assert.ok(
    Object.values(programsBefore).every((id) => typeof id === 'number'),
    `XDP attached everywhere: ${JSON.stringify(programsBefore)}`,
  );
  const mapsBefore = pinnedConfigMaps(network.pinDir);
  const socketBefore = statSync(socket).ino;
  const servicesBefore = await apiClient(network).services.list.query();

  /* With sync settings and a yield file that says "1": a running node's yield, which the refused agent must not clear. */
  const syncDir = mkdtempSync(join(tmpdir(), 'sluice-second-'));
  const keyFile = join(syncDir, 'sync.key');
  const yieldFile = join(syncDir, 'yield');
  writeFileSync(keyFile, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
  writeFileSync(yieldFile, '1\n');
  const syncArgs = ['--sync-listen', '127.0.0.1:7946', '--sync-peer', '127.0.0.2:7946', '--sync-key-file', keyFile, '--sync-yield-file', yieldFile];
  const second = await AgentProcess.runToExit(network, REFUSE_WITHIN_MS, syncArgs);
  const yieldAfter = readFileSync(yieldFile, 'utf8');
  rmSync(syncDir, { recursive: true, force: true });
  assert.notEqual(second.code, null, `the second agent did not exit within ${REFUSE_WITHIN_MS} ms:\n${second.output}`);
  assert.notEqual(second.code, 0, `the second agent exited 0:\n${second.output}`);
  assert.match(second.output, new RegExp(`another sluice agent \\(pid ${agent!.pid}\\) is running on `), second.output);
  assert.doesNotMatch(second.output, /attached XDP|replaced the XDP program|adopted \d+ pinned maps|API on/, 'it did nothing before refusing');

  assert.equal(yieldAfter, '1\n', 'the yield file as it was');
  assert.ok(agent!.running, 'the first agent runs on');
  assert.deepEqual(await attachedProgramIds(), programsBefore, 'the same XDP program');
  assert.deepEqual(pinnedConfigMaps(network.pinDir), mapsBefore, 'the same map contents');
  assert.equal(statSync(socket).ino, socketBefore, 'the same socket');
  assert.deepEqual(await apiClient(network).services.list.query(), servicesBefore, 'the first agent answers as before');
  const report = await http(network.topology.client, VIP, HTTP, { count: 30, concurrency: 3 });
  assert.equal(report.failed, 0, `requests failed: ${JSON.stringify(report.failures)}`);
  assert.doesNotMatch(agent!.output, /EBADF/, 'the first agent logged no EBADF');
});

test('once the first agent has stopped, the next one starts (the lock goes with its holder)', T, async () => {
  await agent!.kill();
  agent = await AgentProcess.start(network);
  assert.match(agent.output, /adopted \d+ pinned maps/);
  await waitForEligible(network, SERVICE, network.topology.backends.length);
});
