/*
 * node.status beyond BGP: the compatibility record every node of a fleet must
 * share (hash seed, lookup table size, data plane build), also as the
 * sluice_node_info metric, and the services whose connections a node loss
 * breaks (round robin, least connections), through the API, the metrics
 * endpoint and `sluice node status` as a separate process.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { objectPath } from '@sluice/dataplane/test-helpers';
import type { MetricsServer } from '../../src/metrics/index.js';
import { startSocketServer, stopSocketServer } from '../../src/server/socket-server.js';
import { ManualHealth, type TestAgent, startTestAgent } from './helpers.js';

const SLUICE = fileURLToPath(new URL('../../bin/sluice.mjs', import.meta.url));
const T = { timeout: 60_000 };
const HASH_SEED = 4242;
const dir = mkdtempSync(join(tmpdir(), 'sluice-node-status-'));
const socketPath = join(dir, 'agent.sock');
const tokenFile = join(dir, 'admin.token');
let t: TestAgent;
let server: Server;
let metrics: MetricsServer;

/* The build id computed here, independently of the agent: SHA-256 of the object file. */
const objectSha = () => createHash('sha256').update(readFileSync(objectPath())).digest('hex').slice(0, 16);

function sluice(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [SLUICE, ...args],
      { env: { ...process.env, SLUICE_SOCKET: socketPath, SLUICE_TOKEN_FILE: tokenFile }, timeout: 30_000 },
      (error, stdout, stderr) => resolve({ code: error ? ((error as any).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

async function addService(address: string, algorithm: string): Promise<void> {
  await t
    .as('admin')
    .services.create({ address, port: 80, protocol: 'tcp', algorithm: algorithm as 'maglev', backends: [{ address: '198.19.1.2', port: 8080 }] });
}

before(async () => {
  t = await startTestAgent(undefined, new ManualHealth(), { hashSeed: HASH_SEED });
  t.agent.ensureAdminTokenFile(tokenFile);
  server = await startSocketServer({ socketPath, agent: t.agent });
  metrics = await t.agent.startMetricsServer({ host: '127.0.0.1', port: 0 }, 'test');
});

after(async () => {
  await metrics?.close();
  if (server) await stopSocketServer(server, socketPath);
  t?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('node status: compatibility and node loss', () => {
  test('compat: the hash seed the program runs with, the table size of the maps, the build of the object loaded', T, async () => {
    const status = await t.as('viewer').node.status();
    assert.deepEqual(status.compat, { hashSeed: HASH_SEED, lookupTableSize: t.maps.lookupTables.valueBytes / 2, dataplaneBuild: objectSha() });
    assert.deepEqual(status.breakOnNodeLoss, [], 'no service yet: nothing at risk');
  });

  test('services chosen by a per-node turn or count are listed with the reason and the fix; hashed ones are not', T, async () => {
    await addService('198.18.100.1', 'maglev');
    /* SMALL_MAPS hold 4 services: source hash is judged by the same rule as maglev (@sluice/api survivesNodeLoss). */
    await addService('198.18.100.3', 'round-robin');
    await addService('198.18.100.4', 'weighted-round-robin');
    await addService('198.18.100.5', 'least-connections');
    const status = await t.as('viewer').node.status();
    assert.deepEqual(
      status.breakOnNodeLoss.map((r) => [r.service, r.algorithm]),
      [
        ['198.18.100.3:80/tcp', 'round-robin'],
        ['198.18.100.4:80/tcp', 'weighted-round-robin'],
        ['198.18.100.5:80/tcp', 'least-connections'],
      ],
    );
    for (const risk of status.breakOnNodeLoss) {
      assert.match(risk.reason, /another node .* steers it by the flow hash, usually to another backend, and the connection breaks/);
      assert.match(risk.fix, /maglev or source-hash .*--hash-seed.*flow sync .*issue 13/);
    }
    /* Switching a service to maglev takes it off the list. */
    await t.as('admin').services.update({ service: '198.18.100.3:80/tcp', algorithm: 'maglev' });
    assert.deepEqual(
      (await t.as('viewer').node.status()).breakOnNodeLoss.map((r) => r.service),
      ['198.18.100.4:80/tcp', '198.18.100.5:80/tcp'],
    );
  });

  test('sluice node status prints the compat line and a warning line per service at risk', T, async () => {
    const run = await sluice(['node', 'status']);
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.split('\n');
    assert.ok(
      lines.includes(
        `compat: hash seed ${HASH_SEED}, lookup table ${t.maps.lookupTables.valueBytes / 2} slots, data plane build ${objectSha()} (the same on every node behind the same routers)`,
      ),
      run.stdout,
    );
    assert.deepEqual(
      lines.filter((l) => l.startsWith('warning: ')),
      [
        'warning: 198.18.100.4:80/tcp (weighted-round-robin): its connections do not survive the loss of this node',
        'warning: 198.18.100.5:80/tcp (least-connections): its connections do not survive the loss of this node',
      ],
    );
    assert.ok(
      lines.some((l) => /^ {2}fix: use maglev or source-hash/.test(l)),
      run.stdout,
    );
    const json = JSON.parse((await sluice(['node', 'status', '--json'])).stdout);
    assert.equal(json.compat.hashSeed, HASH_SEED);
    assert.equal(json.breakOnNodeLoss.length, 2);
  });

  test('sluice_node_info carries the same record as labels', T, async () => {
    const body = await (await fetch(`http://127.0.0.1:${metrics.address.port}/metrics`)).text();
    const line = `sluice_node_info{hash_seed="${HASH_SEED}",lookup_table_size="${t.maps.lookupTables.valueBytes / 2}",dataplane_build="${objectSha()}"} 1`;
    assert.ok(
      body.split('\n').includes(line),
      `no line ${line} in:\n${body
        .split('\n')
        .filter((l) => l.includes('node'))
        .join('\n')}`,
    );
  });
});
