/*
 * The `sluice agent` command as an operator runs it: a configuration file,
 * SIGHUP to reload it. A valid change takes effect on the next new
 * connection; an invalid file changes nothing and traffic keeps flowing;
 * SIGTERM with --detach-on-exit leaves no program attached and nothing pinned.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { run } from '@sluice/testbed/netns';
import { http } from '@sluice/testbed/client-traffic';
import { CliAgent } from './support/cli-agent.ts';
import { type Network, setUpNetwork, tearDownNetwork } from './support/network.ts';
import { type Family, FAMILIES, config, service, vipAddress } from './support/services.ts';
import { assertAllSucceeded, record } from './support/distribution.ts';

const HTTP = 8080;
const REQUESTS = 30;
const APPLIED = /info\s+applied \d+ services/;
const REJECTED = /error\s+config .*the running configuration is unchanged/;
const T = { timeout: 60_000 };

let network: Network;
let agent: CliAgent | undefined;
const dir = mkdtempSync(join(tmpdir(), 'sluice-e2e-cli-'));
const configFile = join(dir, 'sluice.json');

const writeServices = (backends: string[]) =>
  writeFileSync(
    configFile,
    JSON.stringify(config(...FAMILIES.map((family) => service(network.topology, { family, vip: 1, port: HTTP, algorithm: 'round-robin', backends })))),
  );
/* The agent's log line for a health change to up (one per backend and service). */
const BACKEND_UP = /^.*backend \S+ of \S+ is up$/;
const send = (family: Family) => http(network.topology.client, vipAddress(network.topology, family, 1), HTTP, { count: REQUESTS, concurrency: 3 });

/* An agent that has exited can neither reload nor detach on exit: say so plainly. */
function assertRunning(): void {
  assert.ok(agent, 'sluice agent did not start (see the first test)');
  assert.ok(agent.running, `sluice agent is no longer running (it should run until SIGTERM):\n${agent.output}`);
}

/** Sends SIGHUP and waits for the agent to log the outcome. */
async function reload(outcome: RegExp): Promise<void> {
  assertRunning();
  const seen = agent!.count(outcome);
  agent!.signal('SIGHUP');
  await agent!.waitForLog(outcome, seen);
}

async function expectSpread(label: string, expected: Record<string, number>): Promise<void> {
  for (const family of FAMILIES) {
    const report = await send(family);
    const counts = record(`cli ${label} ${family}`, report);
    assertAllSucceeded(report, REQUESTS, `${label} over ${family}`);
    assert.deepEqual(counts, expected, `${label} over ${family}`);
  }
}

before(async () => {
  network = await setUpNetwork();
});

after(async () => {
  try {
    await agent?.stop();
  } finally {
    await tearDownNetwork();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('starts from the config file and balances over its three backends', T, async () => {
  writeServices(['be1', 'be2', 'be3']);
  agent = await CliAgent.start(network, configFile, join(dir, 'ready'));
  assert.equal(agent.count(APPLIED), 1, agent.output);
  /*
   * A first start has no pinned maps to say who is up: every backend is
   * pending until its first health check, and they pass one by one within
   * about a second. Exact round robin over three needs all three.
   */
  await agent.waitForLog(BACKEND_UP, 3 * FAMILIES.length - 1);
  await expectSpread('from file', { be1: 10, be2: 10, be3: 10 });
  assertRunning();
});

test('SIGHUP after removing be3 from the file: new connections no longer go to be3', T, async () => {
  writeServices(['be1', 'be2']);
  await reload(APPLIED);
  await expectSpread('be3 removed', { be1: 15, be2: 15 });
});

test('SIGHUP with a file that is not JSON: nothing changes, traffic flows as before', T, async () => {
  writeFileSync(configFile, '{"services": [');
  await reload(REJECTED);
  assert.match(agent!.output, /not valid JSON/);
  await expectSpread('after broken JSON', { be1: 15, be2: 15 });
});

test('SIGHUP with a file that fails validation: nothing changes, traffic flows as before', T, async () => {
  /* Would bring be3 back, but its weight of 0 is not a weight: the whole file is refused. */
  const file = config(...FAMILIES.map((family) => service(network.topology, { family, vip: 1, port: HTTP, algorithm: 'round-robin', weights: { be3: 0 } })));
  writeFileSync(configFile, JSON.stringify(file));
  await reload(REJECTED);
  assert.match(agent!.output, /weight must be 1 to 65535/);
  await expectSpread('after invalid file', { be1: 15, be2: 15 });
  assertRunning();
});

test('SIGTERM with --detach-on-exit: exits 0, no XDP program left, nothing pinned', T, async () => {
  assertRunning();
  const { code, signal } = await agent!.stop();
  assert.equal(signal, null);
  assert.equal(code, 0, agent!.output);
  const links = await run('ip', ['-n', network.topology.lb.namespace, 'link', 'show']);
  assert.doesNotMatch(links.stdout, /prog\/xdp/, links.stdout);
  const pinned = readdirSync(network.pinDir).filter((name) => !name.endsWith('.debug'));
  assert.deepEqual(pinned, []);
});
