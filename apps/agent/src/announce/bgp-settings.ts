/*
 * `sluice agent --bgp-config FILE` (JSON or YAML): the node's BGP speaker.
 * Validated whole at start; a bad file stops the agent before anything is
 * attached, with every problem named. Without the flag the agent announces
 * nothing (one node, routes set by hand as before).
 */
import { readFileSync } from 'node:fs';
import { addressFamily } from '@sluice/api';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

/* RFC 4271: a hold time is 0 or at least 3 s; the speaker never runs without keepalives. */
const MIN_HOLD_TIME_S = 3;
/* BIRD's own bounds for BFD intervals are wider; below 10 ms a loaded host flaps, above 10 s BFD is pointless. */
const BFD_INTERVAL_MS = { min: 10, max: 10_000 };

const asNumber = z.number().int().min(1, 'an AS number is 1 to 4294967295').max(4_294_967_295, 'an AS number is 1 to 4294967295');

const peerSchema = z
  .object({
    /** The router's address on the link (IPv4 peers carry the IPv4 VIPs, IPv6 peers the IPv6 ones). */
    address: z.string().refine((value) => addressFamily(value) !== null, { message: 'peer address must be an IPv4 or IPv6 address' }),
    as: asNumber,
  })
  .strict();

export const bgpSettingsSchema = z
  .object({
    localAs: asNumber,
    /** BGP identifier: an IPv4 address of this node, unique among the router's peers. */
    routerId: z.string().refine((value) => addressFamily(value) === 4, { message: "routerId must be an IPv4 address (the node's BGP identifier)" }),
    peers: z.array(peerSchema).min(1, 'peers: name at least one router (address and as)'),
    /** Seconds without a keepalive before a session is dropped; keepalives go every third of it. */
    holdTimeS: z.number().int().min(MIN_HOLD_TIME_S, `holdTimeS must be at least ${MIN_HOLD_TIME_S} (RFC 4271)`).max(65_535).default(9),
    /** BFD on every session (the router must run it too); false leaves failure detection to the hold time. */
    bfd: z
      .union([
        z.literal(false),
        z
          .object({
            minRxMs: z.number().int().min(BFD_INTERVAL_MS.min).max(BFD_INTERVAL_MS.max).default(100),
            minTxMs: z.number().int().min(BFD_INTERVAL_MS.min).max(BFD_INTERVAL_MS.max).default(100),
            multiplier: z.number().int().min(1).max(255).default(3),
          })
          .strict(),
      ])
      .default({ minRxMs: 100, minTxMs: 100, multiplier: 3 }),
    /** Where bird.conf, its control socket, pid file and log go; default <dataDir>/bgp. Never /etc. */
    runDir: z.string().min(1).optional(),
    /** The daemon and its client (Debian package bird2). */
    birdPath: z.string().min(1).default('bird'),
    birdcPath: z.string().min(1).default('birdc'),
    /** How often peers and announced routes are read back from BIRD. */
    pollMs: z.number().int().min(100).max(60_000).default(1000),
  })
  .strict()
  .superRefine((settings, ctx) => {
    const seen = new Set<string>();
    for (const [k, peer] of settings.peers.entries()) {
      if (seen.has(peer.address)) ctx.addIssue({ code: 'custom', path: ['peers', k, 'address'], message: `peer ${peer.address} is listed twice` });
      seen.add(peer.address);
    }
  });
export type BgpSettings = z.infer<typeof bgpSettingsSchema>;
export type BgpPeer = BgpSettings['peers'][number];

export function parseBgpSettings(raw: unknown, source: string): BgpSettings {
  const parsed = bgpSettingsSchema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(`BGP settings ${source}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}

export function readBgpSettings(path: string): BgpSettings {
  let raw: unknown;
  try {
    const text = readFileSync(path, 'utf8');
    raw = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new Error(`BGP settings ${path}: ${(error as Error).message}`);
  }
  return parseBgpSettings(raw, path);
}
