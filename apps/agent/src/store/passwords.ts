/*
 * Password and token hashing. Passwords: scrypt with a per-user salt (slow on
 * purpose). Tokens are 256 random bits, so a plain SHA-256 is enough: there
 * is nothing to brute-force, and lookups by hash stay fast.
 */
import { createHash, randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';

/* OWASP's scrypt floor (N=2^17 would cost 128 MiB per login here; 2^15 is 32 MiB). */
const SCRYPT = { N: 1 << 15, r: 8, p: 1, keyLength: 32, maxmem: 64 * 1024 * 1024 } as const;

export function hashPassword(password: string): string {
  const salt = randomBytes(16);
  const key = scryptSync(password, salt, SCRYPT.keyLength, { N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p, maxmem: SCRYPT.maxmem });
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64'), key.toString('base64')].join('$');
}

export function verifyPassword(password: string, stored: string): boolean {
  const [scheme, n, r, p, salt, key] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !key) return false;
  const expected = Buffer.from(key, 'base64');
  const actual = scryptSync(password, Buffer.from(salt, 'base64'), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    maxmem: SCRYPT.maxmem,
  });
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
let dummyHash: string | undefined;
export function dummyPasswordHash(): string {
  dummyHash ??= hashPassword('not a real password');
  return dummyHash;
}
