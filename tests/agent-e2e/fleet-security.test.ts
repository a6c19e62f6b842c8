/*
 * Issue 16, a fleet on an etcd that asks who is calling: `sluice agent` nodes
 * (real processes) joining a real etcd (Debian's) over TLS with client
 * certificates (etcds://, --store-ca-file/--store-cert-file/--store-key-file),
 * and one with authentication (etcd://USER@..., --store-password-file, a role
 * with readwrite on /sluice/). Each etcd listens on an address of its
 * namespace's loopback, where its nodes run too: no link, no route out. The
 * certificates are made here with openssl; the server's names the address
 * the nodes dial. Two nodes converge on a change made through one. A node
 * given the wrong CA, no client certificate, a wrong password or a user
 * whose role lacks the prefix exits at start, saying which store and which
 * flag, with nothing attached and nothing pinned.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FleetStatus } from '@sluice/api';
import { sluiceJson, sluiceOk } from '@sluice/testbed/agent-process';
import { type EtcdServer, ensureEtcdNamespace, etcdctl, removeEtcdNamespace, startEtcd, stopEtcd } from '@sluice/testbed/etcd';
import { type EtcdCertificates, makeEtcdCertificates } from '@sluice/testbed/etcd-tls';
import { execInChecked } from '@sluice/testbed/netns';
import { tagged } from '@sluice/testbed/tag';
import { type StoreNode, refusedStart, removeStoreNodeFiles, startStoreNode, stopStoreNode } from './support/store-node.ts';

const T = { timeout: 120_000 };
const SERVICE = '198.18.100.1:80/tcp';
const B1 = '198.19.1.2:8080';
const B2 = '198.19.1.3:8080';
const CONVERGE_MS = 15_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** Polls `sluice fleet --json` on `at` until every one of `count` nodes holds the fleet's revision. */
async function converged(at: StoreNode, count: number): Promise<FleetStatus> {
  const started = performance.now();
  for (;;) {
    const status = await sluiceJson<FleetStatus>(at.network, ['fleet']);
    if (status.reachable && status.nodes.length === count && status.converged === count) return status;
    if (performance.now() - started > CONVERGE_MS) assert.fail(`not converged within ${CONVERGE_MS} ms: ${JSON.stringify(status)}`);
    await sleep(50);
  }
}

/** The backends as the node forwards to them; without when its local copy stamped them (each node stamps its own). */
const backends = async (node: StoreNode) =>
  ((await sluiceJson(node.network, ['backend', 'ls', SERVICE, '--stable'])) as Record<string, unknown>[]).map(({ createdAt, updatedAt, ...b }) => b);

/** A service with two backends through `first`; then a reweight through `second`; both seen alike on both nodes. */
async function changeThroughEither(first: StoreNode, second: StoreNode): Promise<void> {
  /* No health check: both nodes' listings then differ only by what the fleet applies, not by when a probe result lands. */
  await sluiceOk(first.network, ['service', 'add', SERVICE, '--check', 'none']);
  await sluiceOk(first.network, ['backend', 'add', SERVICE, B1]);
  await sluiceOk(first.network, ['backend', 'add', SERVICE, B2]);
  const added = await converged(second, 2);
  assert.deepEqual(await backends(second), await backends(first), `${second.name} applied what ${first.name} added`);
  const started = performance.now();
  const said = await sluiceOk(second.network, ['backend', 'set', SERVICE, B2, '--weight', '7']);
  const status = await converged(first, 2);
  assert.ok(status.revision! > added.revision!, 'the reweight is a newer revision');
  assert.match(said, new RegExp(`^converged 2 of 2 at revision ${status.revision}$`, 'm'), `backend set printed: ${said}`);
  const onFirst = (await backends(first)) as { endpoint: string; weight: number }[];
  assert.equal(onFirst.find((b) => b.endpoint === B2)?.weight, 7, `${first.name} applied the reweight made through ${second.name}`);
  assert.deepEqual(await backends(second), onFirst);
  console.log(
    `# reweight through ${second.name}: converged 2 of 2 at revision ${status.revision}, ${(performance.now() - started).toFixed(0)} ms after it began`,
  );
}

/** One lab's end: its nodes, its etcd, its namespace and its directory, also after a failure. */
async function tearDown(nodes: StoreNode[], etcd: EtcdServer | undefined, namespace: string, runRoot: string): Promise<void> {
  for (const node of nodes) await stopStoreNode(node);
  if (etcd) await stopEtcd(etcd);
  await removeEtcdNamespace(namespace);
  rmSync(runRoot, { recursive: true, force: true });
}

/** A start that must fail: exit code 1, the store and `expected` on stderr, no XDP on its interface, no pin. */
async function assertRefused(namespace: string, runRoot: string, name: string, args: string[], display: string, expected: RegExp): Promise<void> {
  const started = performance.now();
  const result = await refusedStart(namespace, runRoot, name, args);
  const ms = performance.now() - started;
  try {
    assert.equal(result.code, 1, `exit code (output: ${result.output})`);
    assert.match(result.output, new RegExp(`^sluice: --store ${literal(display)}: `, 'm'));
    assert.match(result.output, expected);
    assert.match(result.output, /nothing was started/);
    assert.equal(result.xdpAttached, false, 'no XDP program on its interface');
    assert.deepEqual(result.pins, [], 'nothing pinned');
    console.log(`# ${name} refused in ${ms.toFixed(0)} ms: ${result.output.match(/^sluice: .*$/m)?.[0]}`);
  } finally {
    await removeStoreNodeFiles(runRoot, name);
  }
}

describe('TLS with client certificates (etcds://)', () => {
  const namespace = tagged('slsect');
  const ADDRESS = '198.18.210.1';
  const display = `etcds://${ADDRESS}:2379`;
  const runRoot = mkdtempSync(join(tmpdir(), 'sluice-fleet-tls-'));
  let certs: EtcdCertificates;
  let etcd: EtcdServer | undefined;
  const nodes: StoreNode[] = [];
  const tlsArgs = (ca: string, client = true) => [
    '--store',
    display,
    '--store-ca-file',
    ca,
    ...(client ? ['--store-cert-file', certs.clientCert, '--store-key-file', certs.clientKey] : []),
  ];

  before(async () => {
    await ensureEtcdNamespace(namespace);
    await execInChecked(namespace, 'ip', ['addr', 'add', `${ADDRESS}/32`, 'dev', 'lo']);
    certs = await makeEtcdCertificates(join(runRoot, 'certs'), ADDRESS);
    etcd = await startEtcd({
      namespace,
      dir: join(runRoot, 'etcd'),
      listener: { address: ADDRESS, port: 2379, tls: { cert: certs.serverCert, key: certs.serverKey, ca: certs.ca } },
    });
  });

  after(() => tearDown(nodes, etcd, namespace, runRoot));

  test('two nodes join over TLS with a client certificate; a change through either is applied on the other', T, async () => {
    for (const name of ['n1', 'n2']) nodes.push(await startStoreNode(namespace, runRoot, name, tlsArgs(certs.ca)));
    await changeThroughEither(nodes[0]!, nodes[1]!);
  });

  test("a node given a CA that did not sign etcd's certificate exits at start, naming the store and --store-ca-file; nothing attached", T, async () => {
    await assertRefused(namespace, runRoot, 'n3', tlsArgs(certs.otherCa), display, /etcd's certificate is not signed by the CA in --store-ca-file/);
  });

  test('a node with no client certificate exits at start, naming the store and --store-cert-file; nothing attached', T, async () => {
    await assertRefused(
      namespace,
      runRoot,
      'n4',
      tlsArgs(certs.ca, false),
      display,
      /etcd refused this node's TLS client .*--store-cert-file and --store-key-file/,
    );
  });
});

describe('authentication (etcd://USER@..., --store-password-file)', () => {
  const namespace = tagged('slseca');
  const ADDRESS = '198.18.211.1';
  const runRoot = mkdtempSync(join(tmpdir(), 'sluice-fleet-auth-'));
  const ROOT = 'root:root-secret';
  let etcd: EtcdServer | undefined;
  const nodes: StoreNode[] = [];
  const file = (name: string, text: string) => {
    const path = join(runRoot, name);
    writeFileSync(path, `${text}\n`, { mode: 0o600 });
    return path;
  };
  const authArgs = (user: string, passwordFile: string) => ['--store', `etcd://${user}@${ADDRESS}:2379`, '--store-password-file', passwordFile];

  before(async () => {
    await ensureEtcdNamespace(namespace);
    await execInChecked(namespace, 'ip', ['addr', 'add', `${ADDRESS}/32`, 'dev', 'lo']);
    etcd = await startEtcd({ namespace, dir: join(runRoot, 'etcd'), listener: { address: ADDRESS, port: 2379 } });
    /* As an operator sets it up: root, the fleet's user with a role on /sluice/, and a user whose role is elsewhere. */
    for (const args of [
      ['user', 'add', 'root', '--new-user-password', ROOT.split(':')[1]!],
      ['user', 'grant-role', 'root', 'root'],
      ['user', 'add', 'sluice', '--new-user-password', 'fleet-secret'],
      ['role', 'add', 'sluice-fleet'],
      ['role', 'grant-permission', 'sluice-fleet', '--prefix=true', 'readwrite', '/sluice/'],
      ['user', 'grant-role', 'sluice', 'sluice-fleet'],
      ['user', 'add', 'other', '--new-user-password', 'other-secret'],
      ['role', 'add', 'elsewhere'],
      ['role', 'grant-permission', 'elsewhere', '--prefix=true', 'readwrite', '/elsewhere/'],
      ['user', 'grant-role', 'other', 'elsewhere'],
      ['auth', 'enable'],
    ]) {
      const result = await etcdctl(etcd, args);
      assert.equal(result.code, 0, `etcdctl ${args.join(' ')}: ${result.stderr}`);
    }
    const anonymous = await etcdctl(etcd, ['get', '/sluice/', '--prefix']);
    assert.notEqual(anonymous.code, 0, 'with auth enabled, a client with no user is refused');
  });

  after(() => tearDown(nodes, etcd, namespace, runRoot));

  test('two nodes join as user sluice with --store-password-file; a change through either is applied on the other', T, async () => {
    const password = file('sluice.password', 'fleet-secret');
    for (const name of ['a1', 'a2']) nodes.push(await startStoreNode(namespace, runRoot, name, authArgs('sluice', password)));
    await changeThroughEither(nodes[0]!, nodes[1]!);
    const written = await etcdctl(etcd!, ['get', '/sluice/v1/desired/head', '--print-value-only'], 10_000, ROOT);
    assert.match(written.stdout, /"node":"a2"/, 'the last change is in etcd, written by a2');
  });

  test('a wrong password exits at start, naming the store, the user and --store-password-file; nothing attached', T, async () => {
    await assertRefused(
      namespace,
      runRoot,
      'a3',
      authArgs('sluice', file('wrong.password', 'not-the-password')),
      `etcd://sluice@${ADDRESS}:2379`,
      /etcd refused user sluice \(.*authentication failed.*\): check the user in --store and the password in --store-password-file/,
    );
  });

  test('a user whose role lacks /sluice/ exits at start with a permission error saying which grant; nothing attached', T, async () => {
    await assertRefused(
      namespace,
      runRoot,
      'a4',
      authArgs('other', file('other.password', 'other-secret')),
      `etcd://other@${ADDRESS}:2379`,
      /user other may not read and write \/sluice\/v1\/ \(.*permission denied\): grant its role readwrite on the prefix \(etcdctl role grant-permission ROLE --prefix=true readwrite \/sluice\/\)/,
    );
  });
});
