/* `sluice agent` and `sluice teardown`: settings, process wiring and signals. */
import { readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Server } from 'node:http';
import agentPackage from '../package.json' with { type: 'json' };
import type { MetricsServer } from './metrics/index.js';
import { Agent, type AgentOptions, teardownDataplane } from './operations/index.js';
import type { StoreCredentials } from './fleet/store-client.js';
import { startSocketServer, stopSocketServer } from './server/socket-server.js';
import { claimAgentLock } from './agent-lock.js';
import { readConfigDocument } from './config-file.js';
import { VrrpNotifyFifo, readBgpSettings } from './announce/index.js';
import { readSyncKey } from './sync/sync-settings.js';
import { YieldFile } from './sync/yield-file.js';
import { UsageError, parseFlags } from './cli/args.js';
import { log } from './log.js';
import { type AgentSettings, readSettingsFile, resolveSettings, tunnelOptionsOf } from './settings.js';

export const AGENT_VERSION: string = agentPackage.version;

const AGENT_FLAGS = {
  settings: { type: 'string' },
  interfaces: { type: 'string' },
  config: { type: 'string' },
  'data-dir': { type: 'string' },
  socket: { type: 'string' },
  /* The name the CLI reads the same file by; --admin-token-file is its former name, still taken. */
  'token-file': { type: 'string' },
  'admin-token-file': { type: 'string' },
  'admin-password-file': { type: 'string' },
  'metrics-address': { type: 'string' },
  'pin-dir': { type: 'string' },
  object: { type: 'string' },
  'xdp-mode': { type: 'string' },
  'flow-table-size': { type: 'string' },
  'half-open-table-size': { type: 'string' },
  'client-rate-table-size': { type: 'string' },
  'flow-guard-rate': { type: 'string' },
  'icmp-too-big-rate': { type: 'string' },
  'hash-seed': { type: 'string' },
  'detach-on-exit': { type: 'boolean' },
  'ready-file': { type: 'string' },
  'tunnel-source4': { type: 'string' },
  'tunnel-source6': { type: 'string' },
  'tunnel-source4-hash-bits': { type: 'string' },
  'tunnel-source6-hash-bits': { type: 'string' },
  'gue-port': { type: 'string' },
  'bgp-config': { type: 'string' },
  'sync-listen': { type: 'string' },
  'sync-peer': { type: 'string' },
  'sync-key-file': { type: 'string' },
  'sync-yield-file': { type: 'string' },
  'vrrp-notify-fifo': { type: 'string' },
  store: { type: 'string' },
  'store-ca-file': { type: 'string' },
  'store-cert-file': { type: 'string' },
  'store-key-file': { type: 'string' },
  'store-password-file': { type: 'string' },
  'node-name': { type: 'string' },
} as const;

function numberFlag(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  /* Number('') is 0: an empty value must not pass as zero. */
  if (value.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${name} must be a number, not "${value}"`);
  return n;
}

const agentFlags = (argv: string[]) => parseFlags(argv, AGENT_FLAGS, 'agent').values;
type AgentFlagValues = ReturnType<typeof agentFlags>;

/** --token-file, or its former name --admin-token-file; both at once must agree. */
function tokenFileFlag(values: AgentFlagValues): string | undefined {
  const [now, former] = [values['token-file'], values['admin-token-file']];
  if (now !== undefined && former !== undefined && now !== former)
    throw new UsageError(
      `--token-file ${now} and --admin-token-file ${former} name two files; --admin-token-file is the former name of --token-file: give one`,
    );
  return now ?? former;
}

export function agentSettingsFromArgs(argv: string[]): AgentSettings {
  const values = agentFlags(argv);
  const fromFile = values.settings ? readSettingsFile(values.settings) : {};
  return resolveSettings(fromFile, settingsFromFlags(values));
}

function settingsFromFlags(values: AgentFlagValues) {
  return {
    interfaces: values.interfaces
      ?.split(',')
      .map((name) => name.trim())
      .filter(Boolean),
    config: values.config,
    dataDir: values['data-dir'],
    socket: values.socket,
    tokenFile: tokenFileFlag(values),
    adminPasswordFile: values['admin-password-file'],
    metricsAddress: values['metrics-address'],
    pinDir: values['pin-dir'],
    object: values.object,
    xdpMode: values['xdp-mode'],
    flowTableSize: numberFlag('flow-table-size', values['flow-table-size']),
    halfOpenTableSize: numberFlag('half-open-table-size', values['half-open-table-size']),
    clientRateTableSize: numberFlag('client-rate-table-size', values['client-rate-table-size']),
    flowGuardRate: numberFlag('flow-guard-rate', values['flow-guard-rate']),
    icmpTooBigRate: numberFlag('icmp-too-big-rate', values['icmp-too-big-rate']),
    hashSeed: numberFlag('hash-seed', values['hash-seed']),
    detachOnExit: values['detach-on-exit'],
    readyFile: values['ready-file'],
    tunnelSource4: values['tunnel-source4'],
    tunnelSource6: values['tunnel-source6'],
    tunnelSource4HashBits: numberFlag('tunnel-source4-hash-bits', values['tunnel-source4-hash-bits']),
    tunnelSource6HashBits: numberFlag('tunnel-source6-hash-bits', values['tunnel-source6-hash-bits']),
    guePort: numberFlag('gue-port', values['gue-port']),
    bgpConfig: values['bgp-config'],
    store: values.store,
    storeCaFile: values['store-ca-file'],
    storeCertFile: values['store-cert-file'],
    storeKeyFile: values['store-key-file'],
    storePasswordFile: values['store-password-file'],
    nodeName: values['node-name'],
    sync:
      (values['sync-listen'] ?? values['sync-peer'] ?? values['sync-key-file'] ?? values['sync-yield-file'])
        ? { listen: values['sync-listen'], peer: values['sync-peer'], keyFile: values['sync-key-file'], yieldFile: values['sync-yield-file'] }
        : undefined,
    vrrpNotifyFifo: values['vrrp-notify-fifo'],
  };
}

/** SIGHUP: the settings file again (flags still win); only its tunnel settings apply to a running agent. */
function reloadTunnelSettings(agent: Agent, argv: string[]): void {
  const values = agentFlags(argv);
  if (!values.settings) return;
  try {
    const settings = resolveSettings(readSettingsFile(values.settings), settingsFromFlags(values));
    agent.setTunnelOptions(tunnelOptionsOf(settings));
  } catch (error) {
    log('error', `SIGHUP: tunnel settings from ${values.settings}: ${(error as Error).message}; the running ones are unchanged`);
  }
}

/** Imports the services file into the store (first start and SIGHUP); on any error nothing changes. */
async function importServicesFile(agent: Agent, path: string): Promise<boolean> {
  try {
    const document = readConfigDocument(path);
    const result = await agent.importServicesDocument(document);
    log(
      'info',
      `applied ${document.services.length} services from ${path}: +${result.servicesCreated.length} ~${result.servicesUpdated.length} ` +
        `-${result.servicesDeleted.length} services, +${result.backendsAdded} ~${result.backendsChanged} -${result.backendsRemoved} backends`,
    );
    return true;
  } catch (error) {
    log('error', `${(error as Error).message}; the running configuration is unchanged`);
    return false;
  }
}

/** A file the store settings name, or an error naming the flag and the file (read before anything is attached). */
function readStoreFile(path: string, flag: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new Error(`${flag} ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/* The start-up check of the store's answer: as long as one call of the fleet's (a store that does not answer within it is "down", not "wrong"). */
const STORE_CHECK_TIMEOUT_MS = 2000;

/**
 * The fleet's store (--store etcd://...), or undefined for the node's own
 * SQLite store. Files are read and the store asked whether it takes them now,
 * so a bad file, certificate, password or role stops the start (store-check.ts).
 */
async function fleetOf(settings: AgentSettings): Promise<AgentOptions['fleet']> {
  const address = settings.store;
  if (address.kind !== 'etcd') return undefined;
  const password = settings.storePasswordFile ? readStoreFile(settings.storePasswordFile, '--store-password-file').toString('utf8').trim() : undefined;
  const tls = settings.storeCaFile
    ? {
        ca: readStoreFile(settings.storeCaFile, '--store-ca-file'),
        ...(settings.storeCertFile ? { cert: readStoreFile(settings.storeCertFile, '--store-cert-file') } : {}),
        ...(settings.storeKeyFile ? { key: readStoreFile(settings.storeKeyFile, '--store-key-file') } : {}),
      }
    : undefined;
  const credentials: StoreCredentials = { address, ...(tls ? { tls } : {}), ...(password !== undefined ? { password } : {}) };
  /* Loaded only here: the etcd client takes about 0.2 s to load, which an agent without a fleet never pays. */
  const [{ checkStoreAccess }, { EtcdFleet }] = await Promise.all([import('./fleet/store-check.js'), import('./fleet/etcd-fleet.js')]);
  const problem = await checkStoreAccess(credentials, STORE_CHECK_TIMEOUT_MS);
  if (problem) log('warn', `fleet store ${address.display} does not answer now (${problem.message}); starting on the local copy, joining on its return`);
  const node = settings.nodeName ?? hostname();
  log('info', `desired state: the fleet's store ${address.display} (node ${node}); ${settings.dataDir} holds the local copy`);
  return {
    connect: (compat) => new EtcdFleet({ ...credentials, node, version: AGENT_VERSION, compat, log }),
  };
}

export async function runAgent(argv: string[]): Promise<void> {
  const settings = agentSettingsFromArgs(argv);
  /* Bad BGP settings stop the agent here, before anything is claimed or attached. */
  const bgp = settings.bgpConfig ? readBgpSettings(settings.bgpConfig) : undefined;
  /* A missing or weak sync key stops the agent here too. */
  const syncKey = settings.sync ? readSyncKey(settings.sync.keyFile) : undefined;
  /* Bad store settings (a missing TLS or password file, a store that refuses them) stop the agent here too. */
  const fleet = await fleetOf(settings);
  /* First, before the store, the program or the socket: a second agent must refuse with all of them untouched. */
  claimAgentLock({ dataDir: settings.dataDir, pinDir: settings.pinDir });
  /*
   * Written "0" here, so after the lock: a second agent must not clear the
   * running one's yield. A file that cannot be written stops the agent
   * before anything is attached.
   */
  const yieldFile = settings.sync?.yieldFile ? new YieldFile(settings.sync.yieldFile) : undefined;
  /* A path that is not a FIFO stops the agent here too; keepalived's lines wait in it until the agent reads. */
  const notifyFifo = settings.vrrpNotifyFifo ? new VrrpNotifyFifo(settings.vrrpNotifyFifo, log) : undefined;
  const agent = await Agent.start({
    objectPath: settings.object,
    pinDir: settings.pinDir,
    interfaces: settings.interfaces,
    xdpMode: settings.xdpMode,
    maxEntries: {
      ...(settings.flowTableSize ? { flows: settings.flowTableSize } : {}),
      ...(settings.halfOpenTableSize ? { half_open_flows: settings.halfOpenTableSize } : {}),
      ...(settings.clientRateTableSize ? { client_rates: settings.clientRateTableSize } : {}),
    },
    flowGuardRate: settings.flowGuardRate,
    icmpTooBigRate: settings.icmpTooBigRate,
    hashSeed: settings.hashSeed,
    flowEvents: settings.sync !== undefined,
    dataDir: settings.dataDir,
    detachOnExit: settings.detachOnExit,
    maxBackendsPerService: settings.maxBackendsPerService,
    tunnel: tunnelOptionsOf(settings),
    version: AGENT_VERSION,
    ...(bgp ? { bgp: { settings: bgp, runDir: bgp.runDir ?? join(settings.dataDir, 'bgp') } } : {}),
    ...(settings.sync && syncKey
      ? { sync: { listen: settings.sync.listen, peer: settings.sync.peer, key: syncKey, ...(yieldFile ? { yieldFile } : {}) } }
      : {}),
    ...(fleet ? { fleet } : {}),
  });
  notifyFifo?.start((input) => agent.reportVrrpRole(input, 'keepalived (notify FIFO)'));
  let server: Server | undefined;
  let metrics: MetricsServer | undefined;
  try {
    /* The store is the source of truth: the file seeds an empty store, and SIGHUP re-imports it on purpose. */
    if (settings.config && agent.isEmpty()) {
      if (!(await importServicesFile(agent, settings.config))) process.exitCode = 1;
    } else if (settings.config) {
      log('info', `store already holds services; ${settings.config} is re-imported only on SIGHUP`);
    }
    agent.ensureAdminTokenFile(settings.tokenFile);
    if (settings.adminPasswordFile) await agent.ensureFirstAdmin(settings.adminPasswordFile);
    /* On a fresh start the program was verified meanwhile: in before anyone is served. */
    await agent.attachDataplane();
    server = await startSocketServer({ socketPath: settings.socket, agent, onError: (m) => log('error', m) });
    log('info', `API on ${settings.socket}; admin token in ${settings.tokenFile}`);
    if (settings.metricsAddress) {
      metrics = await agent.startMetricsServer({ host: settings.metricsAddress.address, port: settings.metricsAddress.port }, AGENT_VERSION);
      log('info', `metrics on ${settings.metricsAddress.address}:${settings.metricsAddress.port}`);
    }
    /* Last: the VIPs go out only once everything above works. */
    await agent.markReady();
  } catch (error) {
    notifyFifo?.close();
    await agent.stopAnnouncing();
    agent.stop();
    throw error;
  }
  if (settings.readyFile) writeFileSync(settings.readyFile, `${process.pid}\n`);

  process.on('SIGHUP', () => {
    reloadTunnelSettings(agent, argv);
    if (!settings.config) return log('info', 'SIGHUP: no --config file to re-read');
    log('info', `SIGHUP: re-reading ${settings.config}`);
    void importServicesFile(agent, settings.config);
  });
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  /* First: the routers stop sending here while the data plane still forwards what is in flight. */
  await agent.stopAnnouncing();
  await metrics?.close();
  if (server) await stopSocketServer(server, settings.socket);
  notifyFifo?.close();
  agent.stop();
}

export function runTeardown(argv: string[]): void {
  const { values } = parseFlags(
    argv,
    { interfaces: AGENT_FLAGS.interfaces, 'pin-dir': AGENT_FLAGS['pin-dir'], 'xdp-mode': AGENT_FLAGS['xdp-mode'] },
    'teardown',
  );
  const settings = resolveSettings(
    {},
    {
      interfaces: values.interfaces
        ?.split(',')
        .map((name) => name.trim())
        .filter(Boolean),
      pinDir: values['pin-dir'],
      xdpMode: values['xdp-mode'],
    },
  );
  if (settings.interfaces.length === 0) throw new UsageError('--interfaces is required: the balancer interfaces, comma-separated');
  teardownDataplane(settings);
}
