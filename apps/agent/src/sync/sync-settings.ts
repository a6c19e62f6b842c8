/*
 * The flow-sync settings of an active/standby pair (agent settings `sync`,
 * or --sync-listen/--sync-peer/--sync-key-file/--sync-yield-file): where
 * this node listens for its peer's stream, where the peer listens, the
 * shared key file, and the file keepalived tracks for a split-brain yield
 * (optional). Both addresses are the nodes' own fixed addresses on their
 * segment (never a VIP, which moves). The key is read once at start; a bad
 * one stops the agent before anything is attached.
 */
import { readFileSync, statSync } from 'node:fs';
import { addressFamily } from '@sluice/api';
import { z } from 'zod';

/* HMAC-SHA256 keys shorter than its 32-byte output weaken it (RFC 2104 section 3). */
export const MIN_KEY_BYTES = 32;

const endpoint = (what: string) =>
  z
    .string()
    .regex(/^(\[[0-9a-fA-F:.]+\]|[^:\s]+):\d{1,5}$/, `${what} must be ADDRESS:PORT (e.g. 198.18.0.11:7946)`)
    .transform((value, ctx) => {
      const colon = value.lastIndexOf(':');
      const address = value.slice(0, colon).replace(/^\[|\]$/g, '');
      const port = Number(value.slice(colon + 1));
      if (addressFamily(address) === null) ctx.addIssue({ code: 'custom', message: `${what}: "${address}" is not an IP address` });
      if (port < 1 || port > 65535) ctx.addIssue({ code: 'custom', message: `${what}: port ${port} is not 1 to 65535` });
      return { address, port };
    });

export const syncSettingsSchema = z
  .object({
    listen: endpoint('sync.listen'),
    peer: endpoint('sync.peer'),
    keyFile: z.string().min(1, 'sync.keyFile must name the shared key file'),
    /* keepalived's track_file for the split-brain yield (yield-file.ts); the same path as {{YIELD_FILE}} in its config. */
    yieldFile: z.string().min(1, 'sync.yieldFile must name a file').optional(),
  })
  .strict();
export type SyncSettings = z.infer<typeof syncSettingsSchema>;

/** The key bytes (surrounding whitespace dropped); throws naming the file and what is wrong with it. */
export function readSyncKey(path: string): Buffer {
  let mode: number;
  let text: Buffer;
  try {
    mode = statSync(path).mode;
    text = readFileSync(path);
  } catch (error) {
    throw new Error(`sync key file ${path}: ${(error as Error).message}`);
  }
  if (mode & 0o077) throw new Error(`sync key file ${path}: readable by others (mode ${(mode & 0o777).toString(8)}); chmod 600 it`);
  const key = Buffer.from(text.toString('utf8').trim(), 'utf8');
  if (key.length < MIN_KEY_BYTES)
    throw new Error(`sync key file ${path}: ${key.length} bytes, at least ${MIN_KEY_BYTES} needed (e.g. \`openssl rand -hex 32 > ${path}\`)`);
  return key;
}
