/* `sluice agent --store`: the forms taken, and a clear refusal of the rest before anything starts. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseStoreAddress } from '../../src/fleet/store-address.js';
import { resolveSettings } from '../../src/settings.js';

test('sqlite is the default; etcd addresses become the endpoints grpc dials', () => {
  assert.deepEqual(parseStoreAddress('sqlite'), { kind: 'sqlite' });
  assert.deepEqual(resolveSettings({}, {}).store, { kind: 'sqlite' });
  assert.deepEqual(parseStoreAddress('etcd://10.0.0.1:2379,etcd-2.example:2379'), {
    kind: 'etcd',
    endpoints: ['http://10.0.0.1:2379', 'http://etcd-2.example:2379'],
    tls: false,
    user: null,
    display: 'etcd://10.0.0.1:2379,etcd-2.example:2379',
  });
  assert.deepEqual(parseStoreAddress('etcds://ops@[2001:db8::5]:2379'), {
    kind: 'etcd',
    endpoints: ['https://[2001:db8::5]:2379'],
    tls: true,
    user: 'ops',
    display: 'etcds://ops@[2001:db8::5]:2379',
  });
  assert.deepEqual(parseStoreAddress('etcd+unix:///run/etcd/etcd.sock:0'), {
    kind: 'etcd',
    endpoints: ['unix:///run/etcd/etcd.sock:0'],
    tls: false,
    user: null,
    display: 'etcd+unix:///run/etcd/etcd.sock:0',
  });
});

test('a bad address is refused naming the bad part and the forms taken', () => {
  assert.throws(() => parseStoreAddress('redis://h:1'), /unknown store; expected sqlite, etcd:\/\/HOST:PORT/);
  assert.throws(() => parseStoreAddress('etcd://h'), /"h" is not HOST:PORT/);
  assert.throws(() => parseStoreAddress('etcd://h:2379,'), /"" is not HOST:PORT/);
  assert.throws(() => parseStoreAddress('etcd://h:70000'), /port 70000 of "h:70000" is not 1 to 65535/);
  assert.throws(() => parseStoreAddress('etcd://ops:secret@h:2379'), /password goes in --store-password-file/);
  assert.throws(() => parseStoreAddress('etcd+unix://relative.sock'), /absolute path/);
});

test('settings: TLS needs a CA, a user needs a password file, a client certificate needs its key', () => {
  assert.throws(() => resolveSettings({}, { store: 'etcd://h' }), /agent settings: store: --store etcd:\/\/h: "h" is not HOST:PORT/);
  assert.throws(() => resolveSettings({}, { store: 'etcds://h:2379' }), /storeCaFile: an etcds:\/\/ store needs storeCaFile/);
  assert.throws(() => resolveSettings({}, { store: 'etcd://ops@h:2379' }), /storePasswordFile: store user ops needs storePasswordFile/);
  assert.throws(() => resolveSettings({}, { store: 'etcd://h:2379', storePasswordFile: '/p' }), /names no USER@/);
  assert.throws(() => resolveSettings({}, { store: 'etcds://h:2379', storeCaFile: '/ca', storeCertFile: '/c' }), /needs both storeCertFile and storeKeyFile/);
  assert.throws(() => resolveSettings({}, { nodeName: 'bad name' }), /nodeName must be/);
  const ok = resolveSettings({ store: 'etcd://h:2379' }, { nodeName: 'lb-1' });
  assert.equal(ok.store.kind, 'etcd');
  assert.equal(ok.nodeName, 'lb-1');
});
