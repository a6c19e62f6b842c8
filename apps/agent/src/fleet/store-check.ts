/*
 * Before a fleet node claims or attaches anything (`sluice agent --store
 * etcd...`): can it read and write the fleet's prefix with the certificates
 * and the user it was given? A store that answers "no" (etcd's certificate
 * not from --store-ca-file, no client certificate etcd trusts, a wrong
 * password, a role without /sluice/) stops the start with what to change:
 * retrying would not help, and a node that cannot join would only forward on
 * a stale local copy. A store that does not answer (down, unreachable) does
 * not: the node starts on its local copy and joins on the store's return
 * (fleet-start), as etcd-fleet.ts's run loop does.
 */
import { Etcd3, EtcdAuthenticationFailedError, EtcdPermissionDeniedError } from 'etcd3';
import { COMPAT_KEY, FLEET_PREFIX } from './fleet-keys.js';
import { type StoreCredentials, storeClientOptions } from './store-client.js';

export interface StoreProblem {
  /** The store answered "no": the settings must change (a retry would get the same answer). */
  fatal: boolean;
  message: string;
}

/* The TLS failures grpc reports as UNAVAILABLE with OpenSSL's or Node's text in "Last error": the settings, not the network. */
const SERVER_NOT_TRUSTED =
  /unable to verify the first certificate|self[- ]signed certificate|unable to get (local )?issuer certificate|certificate has expired|certificate is not yet valid/i;
const NOT_FOR_THIS_ADDRESS = /Hostname\/IP does not match certificate's altnames|ERR_TLS_CERT_ALTNAME_INVALID/i;
const CLIENT_REFUSED = /alert (bad certificate|certificate required|unknown ca|certificate unknown|handshake failure)/i;
const NO_USER_GIVEN = /user name is empty|user name not found/i;

/** What went wrong talking to the store, with what to change when it is the settings' fault. */
export function describeStoreError(error: unknown, credentials: Pick<StoreCredentials, 'address'>): StoreProblem {
  const { address } = credentials;
  const raw = (error as Error)?.message ?? String(error);
  const detail = lastError(raw);
  const user = address.user;
  if (error instanceof EtcdAuthenticationFailedError)
    return {
      fatal: true,
      message: `etcd refused user ${user ?? '(none)'} (${detail}): check the user in --store and the password in --store-password-file`,
    };
  if (error instanceof EtcdPermissionDeniedError)
    return {
      fatal: true,
      message:
        `${user ? `user ${user}` : 'this client'} may not read and write ${FLEET_PREFIX} (${detail}): grant its role readwrite on the prefix ` +
        `(etcdctl role grant-permission ROLE --prefix=true readwrite /sluice/)`,
    };
  if (NO_USER_GIVEN.test(raw))
    return { fatal: true, message: `etcd requires a user (${detail}): give --store etcd://USER@HOST:PORT and --store-password-file` };
  if (SERVER_NOT_TRUSTED.test(raw))
    return { fatal: true, message: `etcd's certificate is not signed by the CA in --store-ca-file (${detail}): give the CA that signed it` };
  if (NOT_FOR_THIS_ADDRESS.test(raw))
    return { fatal: true, message: `etcd's certificate does not name the address dialled (${detail}): its subjectAltName must hold the HOST of --store` };
  if (CLIENT_REFUSED.test(raw))
    return {
      fatal: true,
      message: `etcd refused this node's TLS client (${detail}): give --store-cert-file and --store-key-file, a client certificate signed by the CA etcd trusts`,
    };
  return { fatal: false, message: detail };
}

/**
 * One read of the fleet's prefix and one write that is never applied (a txn
 * whose compare cannot hold: etcd checks the permissions of both branches
 * all the same). Throws on a fatal problem; returns the problem when the
 * store does not answer, null when all is well.
 */
export async function checkStoreAccess(credentials: StoreCredentials, callTimeoutMs: number): Promise<StoreProblem | null> {
  const client = new Etcd3(storeClientOptions(credentials, callTimeoutMs));
  try {
    await client.getAll().prefix(FLEET_PREFIX).limit(1).keys();
    await client.if(COMPAT_KEY, 'Version', '<', 0).then(client.put(COMPAT_KEY).value('')).commit();
    return null;
  } catch (error) {
    const problem = describeStoreError(error, credentials);
    if (problem.fatal) throw new Error(`--store ${credentials.address.display}: ${problem.message}; nothing was started`);
    return problem;
  } finally {
    client.close();
  }
}

/** grpc's "14 UNAVAILABLE: No connection established. Last error: Error: X (time). Resolution note: " → X. */
function lastError(message: string): string {
  const last = /Last error: (?:Error: )?([\s\S]*?)(?:\s*\(\d{4}-\d\d-\d\dT[^)]*\))?\.?\s*Resolution note:/.exec(message)?.[1] ?? message;
  /* OpenSSL's "80CC...:error:0A000412:SSL routines:ssl3_read_bytes:sslv3 alert bad certificate:../deps/...:SSL alert number 42" → its reason. */
  const openssl = /:SSL routines:[^:]*:([^:]+)/.exec(last)?.[1];
  return (openssl ?? last).trim();
}
