/*
 * `sluice agent --store`: where the desired state lives. "sqlite" (the
 * default) is the node's own store; an etcd address makes the node one of a
 * fleet that shares one desired state (fleet/etcd-fleet.ts), its SQLite store
 * then being the local copy every reader uses.
 *
 *   etcd://HOST:PORT[,HOST:PORT...]    plain gRPC
 *   etcds://HOST:PORT[,...]            TLS (--store-ca-file, and a client certificate with --store-cert-file/--store-key-file)
 *   etcd://USER@HOST:PORT              etcd authentication, the password in --store-password-file
 *   etcd+unix:///PATH                  a unix socket (tests: an etcd in a namespace, reached with no network link)
 */

export interface EtcdAddress {
  kind: 'etcd';
  /** What grpc dials: http(s)://host:port, or unix:///path. */
  endpoints: string[];
  tls: boolean;
  user: string | null;
  /** The address without credentials, for logs, errors and node.status. */
  display: string;
}

export type StoreAddress = { kind: 'sqlite' } | EtcdAddress;

const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;
const FORMS = 'sqlite, etcd://HOST:PORT[,HOST:PORT...], etcds://HOST:PORT[,...] (TLS), etcd://USER@HOST:PORT, or etcd+unix:///PATH';

/** Parses --store; throws a message that names the bad part and the forms taken. */
export function parseStoreAddress(value: string): StoreAddress {
  const text = value.trim();
  if (text === '' || text === 'sqlite') return { kind: 'sqlite' };
  if (text.startsWith('etcd+unix://')) {
    const path = text.slice('etcd+unix://'.length);
    if (!path.startsWith('/')) throw new Error(`--store ${value}: a unix socket needs an absolute path (etcd+unix:///run/etcd.sock)`);
    return { kind: 'etcd', endpoints: [`unix://${path}`], tls: false, user: null, display: text };
  }
  const scheme = /^(etcds?):\/\/(.*)$/.exec(text);
  if (!scheme) throw new Error(`--store ${value}: unknown store; expected ${FORMS}`);
  const tls = scheme[1] === 'etcds';
  let rest = scheme[2]!;
  let user: string | null = null;
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    user = decodeURIComponent(rest.slice(0, at));
    if (user === '' || user.includes(':'))
      throw new Error(`--store ${value}: give only the user before "@" (the password goes in --store-password-file, never on the command line)`);
    rest = rest.slice(at + 1);
  }
  const hosts = rest.replace(/\/$/, '').split(',');
  for (const host of hosts) {
    const match = HOST_PORT.exec(host);
    if (!match) throw new Error(`--store ${value}: "${host}" is not HOST:PORT; expected ${FORMS}`);
    const port = Number(match[2]);
    if (port < 1 || port > 65535) throw new Error(`--store ${value}: port ${port} of "${host}" is not 1 to 65535`);
  }
  const protocol = tls ? 'https' : 'http';
  return {
    kind: 'etcd',
    endpoints: hosts.map((host) => `${protocol}://${host}`),
    tls,
    user,
    display: `${scheme[1]}://${user ? `${user}@` : ''}${hosts.join(',')}`,
  };
}
