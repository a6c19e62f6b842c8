/*
 * The start-up check's verdicts (store-check.ts): which of etcd's and grpc's
 * answers are the settings' fault (fatal, with the flag to change) and which
 * are a store that is away (the node starts on its local copy). The texts
 * are grpc's and etcd's own, as a real etcd 3.4 gave them to this client
 * (fleet-security.test.ts drives the same cases end to end).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EtcdAuthenticationFailedError, EtcdPermissionDeniedError, GRPCUnavailableError } from 'etcd3';
import { describeStoreError } from '../../src/fleet/store-check.js';
import { parseStoreAddress } from '../../src/fleet/store-address.js';

const tlsStore = { address: parseStoreAddress('etcds://198.18.210.1:2379') as Extract<ReturnType<typeof parseStoreAddress>, { kind: 'etcd' }> };
const userStore = { address: parseStoreAddress('etcd://sluice@198.18.211.1:2379') as Extract<ReturnType<typeof parseStoreAddress>, { kind: 'etcd' }> };
const unavailable = (last: string) => new GRPCUnavailableError(`14 UNAVAILABLE: No connection established. Last error: ${last}. Resolution note: `);

test("etcd's certificate from another CA is fatal and names --store-ca-file", () => {
  const problem = describeStoreError(unavailable('Error: unable to verify the first certificate'), tlsStore);
  assert.deepEqual(problem, {
    fatal: true,
    message: "etcd's certificate is not signed by the CA in --store-ca-file (unable to verify the first certificate): give the CA that signed it",
  });
});

test('a client certificate refused (or none given) is fatal and names --store-cert-file and --store-key-file', () => {
  const text =
    '80CC832EE97F0000:error:0A000412:SSL routines:ssl3_read_bytes:sslv3 alert bad certificate:../deps/openssl/openssl/ssl/record/rec_layer_s3.c:1601:SSL alert number 42\n (2026-12-05T08:08:40.524Z)';
  const problem = describeStoreError(unavailable(text), tlsStore);
  assert.equal(problem.fatal, true);
  assert.equal(
    problem.message,
    "etcd refused this node's TLS client (sslv3 alert bad certificate): give --store-cert-file and --store-key-file, a client certificate signed by the CA etcd trusts",
  );
});

test('a wrong password is fatal and names the user and --store-password-file', () => {
  const problem = describeStoreError(
    new EtcdAuthenticationFailedError('3 INVALID_ARGUMENT: etcdserver: authentication failed, invalid user ID or password'),
    userStore,
  );
  assert.deepEqual(problem, {
    fatal: true,
    message:
      'etcd refused user sluice (3 INVALID_ARGUMENT: etcdserver: authentication failed, invalid user ID or password): check the user in --store and the password in --store-password-file',
  });
});

test('a role without the prefix is fatal and says which grant is missing', () => {
  const problem = describeStoreError(new EtcdPermissionDeniedError('7 PERMISSION_DENIED: etcdserver: permission denied'), userStore);
  assert.equal(problem.fatal, true);
  assert.match(problem.message, /^user sluice may not read and write \/sluice\/v1\/ \(7 PERMISSION_DENIED: etcdserver: permission denied\)/);
  assert.match(problem.message, /etcdctl role grant-permission ROLE --prefix=true readwrite \/sluice\/\)$/);
});

test('a store that does not answer is not fatal: the node starts on its local copy', () => {
  for (const last of ['Error: connect ECONNREFUSED 198.18.210.1:2399', 'Failed to connect (2026-12-05T08:08:40.543Z)']) {
    const problem = describeStoreError(unavailable(last), tlsStore);
    assert.equal(problem.fatal, false, last);
  }
  assert.deepEqual(describeStoreError(unavailable('Error: connect ECONNREFUSED 198.18.210.1:2399'), tlsStore), {
    fatal: false,
    message: 'connect ECONNREFUSED 198.18.210.1:2399',
  });
  assert.deepEqual(describeStoreError(new Error('context deadline exceeded'), tlsStore), { fatal: false, message: 'context deadline exceeded' });
});
