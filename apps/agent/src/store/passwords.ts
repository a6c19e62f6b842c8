/*
 * Password and token hashing. Passwords: scrypt with a per-user salt (slow on
 * purpose: 0.1-0.4 s here), in libuv's thread pool, never on the event loop:
 * the loop that answers keepalived's check and streams flow sync must not
 * stop for a login. Tokens are 256 random bits, so a plain SHA-256 is enough:
 * there is nothing to brute-force, and lookups by hash stay fast.
 */
import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/* OWASP's scrypt floor (N=2^17 would cost 128 MiB per login here; 2^15 is 32 MiB). */
const SCRYPT = { N: 1 << 15, r: 8, p: 1, keyLength: 32, maxmem: 64 * 1024 * 1024 } as const;

function scryptKey(password: string, salt: Buffer, keyLength: number, cost: { N: number; r: number; p: number }): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password, salt, keyLength, { ...cost, maxmem: SCRYPT.maxmem }, (error, key) => (error ? reject(error) : resolve(key))),
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptKey(password, salt, SCRYPT.keyLength, SCRYPT);
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64'), key.toString('base64')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, key] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !key) return false;
  const expected = Buffer.from(key, 'base64');
  const actual = await scryptKey(password, Buffer.from(salt, 'base64'), expected.length, { N: Number(n), r: Number(r), p: Number(p) });
  return timingSafeEqual(actual, expected);
}

/** A fresh bearer token; the prefix tells a reader what it is (api token or session). */
export function newToken(prefix: 'slk' | 'sls'): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/* Computed once so an unknown user costs as much as a wrong password (no user enumeration by timing). */
let dummyHash: Promise<string> | undefined;
export function dummyPasswordHash(): Promise<string> {
  dummyHash ??= hashPassword('not a real password');
  return dummyHash;
}
