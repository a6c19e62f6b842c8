/*
 * The documents under desired/ by kind: what one list, one watch delivery or
 * one change holds. A list is the whole state (what it lacks goes); in a
 * delivery or a change, undefined stands for a deleted document.
 */
import type { UserRow, WholeService } from '../store/index.js';
import { desiredKeyOf, serviceKey, tokenKey, userKey } from './fleet-keys.js';
import { type FleetToken, parseTokenDocument, parseUserDocument, tokenDocumentText, userDocumentText } from './identity-documents.js';
import { parseServiceDocument, serviceDocumentText } from './service-document.js';

export interface DesiredBatch {
  services: Map<string, WholeService | undefined>;
  users: Map<string, UserRow | undefined>;
  tokens: Map<string, FleetToken | undefined>;
}

export const emptyBatch = (): DesiredBatch => ({ services: new Map(), users: new Map(), tokens: new Map() });

export const batchSize = (batch: DesiredBatch): number => batch.services.size + batch.users.size + batch.tokens.size;

/** Reads the document under `key` (its text; undefined: deleted) into the batch; false for a key that is no document (audit, head, unknown). */
export function readDocument(batch: DesiredBatch, key: string, text: string | undefined): boolean {
  const desired = desiredKeyOf(key);
  switch (desired.kind) {
    case 'service':
      batch.services.set(desired.name, text === undefined ? undefined : parseServiceDocument(desired.name, text));
      return true;
    case 'user':
      batch.users.set(desired.name, text === undefined ? undefined : parseUserDocument(desired.name, text));
      return true;
    case 'token':
      batch.tokens.set(desired.name, text === undefined ? undefined : parseTokenDocument(desired.name, text));
      return true;
    default:
      return false;
  }
}

/** The batch as the keys to write with their texts (undefined: delete the key). */
export function documentTexts(batch: DesiredBatch): Map<string, string | undefined> {
  const texts = new Map<string, string | undefined>();
  for (const [name, whole] of batch.services) texts.set(serviceKey(name), whole && serviceDocumentText(whole));
  for (const [name, user] of batch.users) texts.set(userKey(name), user && userDocumentText(user));
  for (const [name, token] of batch.tokens) texts.set(tokenKey(name), token && tokenDocumentText(token));
  return texts;
}

/** How a change names what it wrote, for an error: "service 198.18.100.1:80/tcp", "user olga". */
export function describeKey(key: string): string {
  const desired = desiredKeyOf(key);
  return desired.kind === 'service' || desired.kind === 'user' || desired.kind === 'token' ? `${desired.kind} ${desired.name}` : key;
}

/** The keys of the batch's documents. */
export function keysOf(batch: DesiredBatch): string[] {
  return [...[...batch.services.keys()].map(serviceKey), ...[...batch.users.keys()].map(userKey), ...[...batch.tokens.keys()].map(tokenKey)];
}
