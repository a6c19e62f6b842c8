// Certificates for an etcd served over TLS in a test (issue 16), made with
// Debian's openssl in the test's own directory: a CA, a server certificate
// for etcd whose SAN is the address the agents dial, and a client
// certificate for the agents (etcd's --client-cert-auth). A second CA that
// signed nothing here stands for "the wrong CA".
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runChecked } from './netns.ts';

export interface EtcdCertificates {
  dir: string;
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A CA of its own: etcd's certificate does not chain to it. */
  otherCa: string;
}

/* Days: the test lives minutes; a day is ample and no clock skew matters. */
const DAYS = '1';
const KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

async function makeCa(dir: string, name: string): Promise<{ cert: string; key: string }> {
  const cert = join(dir, `${name}.pem`);
  const key = join(dir, `${name}-key.pem`);
  await runChecked('openssl', ['req', '-x509', ...KEY, '-keyout', key, '-out', cert, '-days', DAYS, '-subj', `/CN=${name}`]);
  return { cert, key };
}

/** A certificate signed by `ca` with these extensions (subjectAltName, extendedKeyUsage). */
async function makeSigned(dir: string, name: string, ca: { cert: string; key: string }, extensions: string[]): Promise<{ cert: string; key: string }> {
  const cert = join(dir, `${name}.pem`);
  const key = join(dir, `${name}-key.pem`);
  const csr = join(dir, `${name}.csr`);
  const ext = join(dir, `${name}.ext`);
  writeFileSync(ext, `${extensions.join('\n')}\n`);
  await runChecked('openssl', ['req', ...KEY, '-keyout', key, '-out', csr, '-subj', `/CN=${name}`]);
  await runChecked('openssl', ['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-out', cert, '-days', DAYS, '-extfile', ext]);
  return { cert, key };
}

/** A CA, etcd's server certificate for `address` (an IP), a client certificate, and another CA, under dir. */
export async function makeEtcdCertificates(dir: string, address: string): Promise<EtcdCertificates> {
  mkdirSync(dir, { recursive: true });
  const ca = await makeCa(dir, 'ca');
  const server = await makeSigned(dir, 'etcd-server', ca, [`subjectAltName = IP:${address}`, 'extendedKeyUsage = serverAuth']);
  const client = await makeSigned(dir, 'sluice-client', ca, ['extendedKeyUsage = clientAuth']);
  const other = await makeCa(dir, 'other-ca');
  return {
    dir,
    ca: ca.cert,
    serverCert: server.cert,
    serverKey: server.key,
    clientCert: client.cert,
    clientKey: client.key,
    otherCa: other.cert,
  };
}
