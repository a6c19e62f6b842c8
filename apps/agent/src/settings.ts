/*
 * `sluice agent` settings: defaults, then an optional settings file
 * (--settings FILE, JSON or YAML), then flags. Validated whole with zod.
 */
import { readFileSync } from 'node:fs';
import { SLUICE_OBJECT_PATH } from './repo-paths.js';
import { DEFAULT_MAX_BACKENDS_PER_SERVICE, addressFamily } from '@sluice/api';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { DEFAULT_PIN_DIR } from '@sluice/dataplane';
import { DEFAULT_HASH_SEED, MAX_HASH_SEED } from '@sluice/dataplane/lookup';
import { DEFAULT_ADMIN_TOKEN_FILE, DEFAULT_SOCKET_PATH } from './default-paths.js';
import { DEFAULT_GUE_PORT, MAX_SOURCE4_HASH_BITS, MAX_SOURCE6_HASH_BITS, type TunnelOptions } from './forwarding/tunnel-settings.js';
import { DEFAULT_DATA_DIR } from './store/index.js';
import { syncSettingsSchema } from './sync/sync-settings.js';
import { parseStoreAddress } from './fleet/store-address.js';

/*
 * A new flow costs a full flow-table insert (0.5-1.4 us here); at 100,000
 * a second per CPU that is at most 14 % of the CPU before the guard steps in.
 */
export const DEFAULT_FLOW_GUARD_RATE = 100_000;

/*
 * ICMP too-big answers a second, all CPUs together: Linux's icmp_msgs_per_sec
 * default (the C default of too_big_answers_per_second, bpf/src/tunables.h).
 * The cap keeps a typo from turning the balancer into a reflector.
 */
export const DEFAULT_ICMP_TOO_BIG_RATE = 1000;
export const MAX_ICMP_TOO_BIG_RATE = 100_000;

export const DEFAULT_OBJECT_PATH = SLUICE_OBJECT_PATH;

const hostPort = z
  .string()
  .regex(/^(\[[0-9a-fA-F:.]+\]|[^:\s]+):\d{1,5}$/, 'metrics address must be HOST:PORT (e.g. 127.0.0.1:9469)')
  .transform((value) => {
    const colon = value.lastIndexOf(':');
    return { address: value.slice(0, colon).replace(/^\[|\]$/g, ''), port: Number(value.slice(colon + 1)) };
  });

export const agentSettingsSchema = z
  .object({
    interfaces: z.array(z.string().min(1)).default([]),
    /** Services file: seeds an empty store at start, and is imported again on SIGHUP. */
    config: z.string().optional(),
    dataDir: z.string().default(DEFAULT_DATA_DIR),
    socket: z.string().default(DEFAULT_SOCKET_PATH),
    /** The admin token the agent writes and the CLI reads (--token-file for both). */
    tokenFile: z.string().default(DEFAULT_ADMIN_TOKEN_FILE),
    /** On first start (no users yet), the console's first admin gets the password in this file. */
    adminPasswordFile: z.string().optional(),
    metricsAddress: hostPort.optional(),
    pinDir: z.string().default(DEFAULT_PIN_DIR),
    object: z.string().default(DEFAULT_OBJECT_PATH),
    xdpMode: z.enum(['native', 'skb']).default('native'),
    flowTableSize: z.number().int().min(1024, 'flowTableSize must be >= 1024').optional(),
    /** Half-open TCP flows (SYN seen, handshake not complete); the data plane's HALF_OPEN_TABLE_SIZE when unset. */
    halfOpenTableSize: z.number().int().min(1024, 'halfOpenTableSize must be >= 1024').optional(),
    /** Client rate windows, one per (service, client) with a recent connection; the data plane's CLIENT_RATE_TABLE_SIZE when unset. */
    clientRateTableSize: z.number().int().min(1024, 'clientRateTableSize must be >= 1024').optional(),
    /** New flows per second per CPU above which consistent-hash UDP services stop recording flows; 0 turns the guard off. */
    flowGuardRate: z.number().int().min(0, 'flowGuardRate must be >= 0 (0 turns the guard off)').default(DEFAULT_FLOW_GUARD_RATE),
    /** ICMP fragmentation-needed / packet-too-big answers a second (all CPUs); 0 never answers. A load-time setting: applies at start. */
    icmpTooBigRate: z
      .number()
      .int('icmpTooBigRate must be a whole number')
      .min(0, `icmpTooBigRate must be 0 to ${MAX_ICMP_TOO_BIG_RATE} (0: never answer)`)
      .max(MAX_ICMP_TOO_BIG_RATE, `icmpTooBigRate must be 0 to ${MAX_ICMP_TOO_BIG_RATE} (0: never answer)`)
      .default(DEFAULT_ICMP_TOO_BIG_RATE),
    /**
     * Seeds the flow hash and the Maglev tables (@sluice/dataplane lookup/seed.ts). Every node
     * behind one ECMP group must run the same one (and the same lookup table size), or a flow
     * moved between nodes lands on another backend. 0 keeps the tables of builds before the setting.
     */
    hashSeed: z
      .number()
      .int(`hashSeed must be a whole number 0 to ${MAX_HASH_SEED} (2^32-1)`)
      .min(0, `hashSeed must be 0 to ${MAX_HASH_SEED} (2^32-1)`)
      .max(MAX_HASH_SEED, `hashSeed must be 0 to ${MAX_HASH_SEED} (2^32-1)`)
      .default(DEFAULT_HASH_SEED),
    maxBackendsPerService: z.number().int().min(1).default(DEFAULT_MAX_BACKENDS_PER_SERVICE),
    detachOnExit: z.boolean().default(false),
    /* The ipip and gue modes (forwarding/tunnel-settings.ts): unset sources default to the interfaces' one address of the family. */
    tunnelSource4: z
      .string()
      .refine((value) => addressFamily(value) === 4, { message: 'tunnelSource4 must be an IPv4 address of the balancer' })
      .optional(),
    tunnelSource6: z
      .string()
      .refine((value) => addressFamily(value) === 6, { message: 'tunnelSource6 must be an IPv6 address of the balancer' })
      .optional(),
    tunnelSource4HashBits: z.number().int().min(0).max(MAX_SOURCE4_HASH_BITS, `tunnelSource4HashBits must be 0 to ${MAX_SOURCE4_HASH_BITS}`).default(0),
    tunnelSource6HashBits: z.number().int().min(0).max(MAX_SOURCE6_HASH_BITS, `tunnelSource6HashBits must be 0 to ${MAX_SOURCE6_HASH_BITS}`).default(0),
    guePort: z.number().int().min(1, 'guePort must be 1 to 65535').max(65535, 'guePort must be 1 to 65535').default(DEFAULT_GUE_PORT),
    readyFile: z.string().optional(),
    /** BGP speaker settings (announce/bgp-settings.ts): with it the agent runs BIRD and announces the VIPs it can serve. */
    bgpConfig: z.string().optional(),
    /** Flow sync with the active/standby peer (sync/sync-settings.ts): listen, peer, keyFile, yieldFile. */
    sync: syncSettingsSchema.optional(),
    /** keepalived's vrrp_notify_fifo (announce/vrrp-notify-fifo.ts): the agent reads its role reports there, in order. */
    vrrpNotifyFifo: z.string().min(1, 'vrrpNotifyFifo must name a FIFO').optional(),
    /** Where the desired state lives (fleet/store-address.ts): sqlite (this node's own), or a fleet's etcd. */
    store: z
      .string()
      .default('sqlite')
      .transform((value, context) => {
        try {
          return parseStoreAddress(value);
        } catch (error) {
          context.addIssue({ code: 'custom', message: (error as Error).message });
          return z.NEVER;
        }
      }),
    storeCaFile: z.string().optional(),
    storeCertFile: z.string().optional(),
    storeKeyFile: z.string().optional(),
    /** The password of the user in an etcd:// address with USER@. */
    storePasswordFile: z.string().optional(),
    /** This node's name in the fleet's view (default: the host name). */
    nodeName: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'nodeName must be 1 to 63 letters, digits, ".", "_" or "-"')
      .optional(),
  })
  .strict()
  .superRefine((settings, context) => {
    if (settings.store.kind !== 'etcd') return;
    if (settings.store.tls && !settings.storeCaFile)
      context.addIssue({ code: 'custom', path: ['storeCaFile'], message: 'an etcds:// store needs storeCaFile (the CA of its certificate)' });
    if (settings.store.user && !settings.storePasswordFile)
      context.addIssue({ code: 'custom', path: ['storePasswordFile'], message: `store user ${settings.store.user} needs storePasswordFile` });
    if (!settings.store.user && settings.storePasswordFile)
      context.addIssue({ code: 'custom', path: ['storePasswordFile'], message: 'storePasswordFile given but the store address names no USER@' });
    if (Boolean(settings.storeCertFile) !== Boolean(settings.storeKeyFile))
      context.addIssue({ code: 'custom', path: ['storeCertFile'], message: 'a client certificate needs both storeCertFile and storeKeyFile' });
  });
export type AgentSettings = z.infer<typeof agentSettingsSchema>;

export function readSettingsFile(path: string): Record<string, unknown> {
  const text = readFileSync(path, 'utf8');
  const raw = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  if (typeof raw !== 'object' || raw === null) throw new Error(`settings ${path}: expected an object`);
  return raw as Record<string, unknown>;
}

/* adminTokenFile: the former name of tokenFile in a settings file, still read; both at once must agree. */
function withFormerNames(fromFile: Record<string, unknown>): Record<string, unknown> {
  if (!('adminTokenFile' in fromFile)) return fromFile;
  const { adminTokenFile, ...rest } = fromFile;
  if ('tokenFile' in rest && rest.tokenFile !== adminTokenFile)
    throw new Error('agent settings: tokenFile and adminTokenFile name two files; adminTokenFile is the former name of tokenFile: give one');
  return { ...rest, tokenFile: adminTokenFile };
}

/* The sync flags (--sync-listen, --sync-peer, --sync-key-file, --sync-yield-file) override the file's sync settings one by one. */
function withSyncFlags(fromFile: Record<string, unknown>, sync: unknown): unknown {
  if (sync === undefined) return fromFile.sync;
  const base = typeof fromFile.sync === 'object' && fromFile.sync !== null ? fromFile.sync : {};
  return { ...base, ...Object.fromEntries(Object.entries(sync as Record<string, unknown>).filter(([, v]) => v !== undefined)) };
}

export function resolveSettings(fromFile: Record<string, unknown>, fromFlags: Record<string, unknown>): AgentSettings {
  const defined = Object.fromEntries(Object.entries(fromFlags).filter(([, v]) => v !== undefined));
  const sync = withSyncFlags(fromFile, defined.sync);
  const parsed = agentSettingsSchema.safeParse({ ...withFormerNames(fromFile), ...defined, ...(sync === undefined ? {} : { sync }) });
  if (!parsed.success) throw new Error(`agent settings: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

/** The tunnel part of the settings, as the agent takes it. */
export function tunnelOptionsOf(settings: AgentSettings): TunnelOptions {
  return {
    ...(settings.tunnelSource4 ? { source4: settings.tunnelSource4 } : {}),
    ...(settings.tunnelSource6 ? { source6: settings.tunnelSource6 } : {}),
    guePort: settings.guePort,
    source4HashBits: settings.tunnelSource4HashBits,
    source6HashBits: settings.tunnelSource6HashBits,
  };
}
