/*
 * The etcd client's options for a fleet store address: TLS credentials and a
 * user's password as `sluice agent` read them, a deadline on every call but
 * the streams, and no retries inside the client (the callers retry and say
 * why). One place, so the start-up check (store-check.ts) dials exactly as
 * the fleet (etcd-fleet.ts) does.
 */
import { ConsecutiveBreaker, ExponentialBackoff, type IBackoff, circuitBreaker, handleWhen, noop } from 'cockatiel';
import { type IOptions, isRecoverableError } from 'etcd3';
import type { EtcdAddress } from './store-address.js';

export interface StoreCredentials {
  address: EtcdAddress;
  /** TLS (etcds://): the CA's certificate, and a client certificate with its key; read by the caller at start. */
  tls?: { ca: Buffer; cert?: Buffer; key?: Buffer };
  /** The password of the address's user. */
  password?: string;
}

/* While etcd is away calls fail at once (the breaker is open); one is let through this often to notice its return. */
const BREAKER_HALF_OPEN_MS = 500;

/** The client options; throws naming the flag when the address needs a file the caller did not give. */
export function storeClientOptions(credentials: StoreCredentials, callTimeoutMs: number): IOptions {
  const { address } = credentials;
  const options: IOptions = {
    hosts: address.endpoints,
    dialTimeout: callTimeoutMs,
    /* Streams (watch, keepalive) have no deadline; every other call fails after callTimeoutMs. */
    defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + callTimeoutMs }),
    faultHandling: {
      /* No retries inside the client: the run loop retries, and a change fails fast with a clear error. */
      global: noop,
      /* A host that failed 3 calls in a row is tried again after BREAKER_HALF_OPEN_MS, not the default 5 s: back soon after etcd is. */
      host: () => circuitBreaker(handleWhen(isRecoverableError), { halfOpenAfter: BREAKER_HALF_OPEN_MS, breaker: new ConsecutiveBreaker(3) }),
      /*
       * Back within a second of etcd's return, not the default's up to 30 s. The watch
       * manager calls next() on it as on its own default (etcd3's types predate cockatiel 3's factory).
       */
      watchBackoff: new ExponentialBackoff({ initialDelay: 100, maxDelay: 1000 }) as unknown as IBackoff<unknown>,
    },
  };
  if (address.tls) {
    if (!credentials.tls) throw new Error(`--store ${address.display}: TLS needs --store-ca-file (the CA that signed etcd's certificate)`);
    options.credentials = {
      rootCertificate: credentials.tls.ca,
      ...(credentials.tls.key ? { privateKey: credentials.tls.key } : {}),
      ...(credentials.tls.cert ? { certChain: credentials.tls.cert } : {}),
    };
  }
  if (address.user) {
    if (credentials.password === undefined) throw new Error(`--store ${address.display}: user ${address.user} needs --store-password-file`);
    options.auth = { username: address.user, password: credentials.password };
  }
  return options;
}
