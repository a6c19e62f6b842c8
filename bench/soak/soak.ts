/*
 * Chaos under load: the real agent on a namespaced test network (4 backend
 * hosts) carries steady HTTP (IPv4 and IPv6), UDP and long-lived line
 * connections while a seeded random sequence of operations runs: add,
 * remove, reweight, drain, maintenance, ready, algorithm switch, agent
 * SIGKILL and restart, config reload (SIGHUP), a backend server killed and
 * started again. Every failure is judged by the rules in attribution.ts, and
 * the agent's RSS is sampled throughout (memory.ts). Bounded by time
 * (`seconds`) and by count (`operations`); everything it starts is ended and
 * the network removed at the end, also on failure.
 */
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serverStatus, startServer } from '@sluice/testbed/servers';
import { spawnIn } from '@sluice/testbed/netns';
import { type Network, testNetwork } from '@sluice/testbed/test-network';
import { AgentProcess } from '@sluice/testbed/agent-process';
import { apiClient } from '@sluice/testbed/api-client';
import { type HoldEnd, type Interval, type RequestFailure, excuseForHold, excuseForRequest } from './attribution.js';
import { flowBackend } from './flow-lookup.js';
import { type MemoryReport, type RssSample, memoryReport, readRssMb } from './memory.js';
import { type AdminState, type Operation, type ServiceModel, chooseOperation, numberIn, shuffledKinds, writeJson } from './operations.js';
import { seededRandom } from './prng.js';

const TRAFFIC = fileURLToPath(new URL('./traffic.mjs', import.meta.url));
const VIP4 = '198.18.100.1';
const VIP6 = '2001:db8:100::1';
const CLIENT4 = '198.18.0.2';
const CLIENT6 = '2001:db8::2';
const BACKENDS = 4;
/* Fast checks, so a killed server stops getting new flows within about a second (interval * fall + timeout). */
const CHECK = { intervalMs: 500, timeoutMs: 250, rise: 2, fall: 2 };
const HTTP4 = { name: `${VIP4}:8080/tcp`, port: 8080 };
const HTTP6 = { name: `[${VIP6}]:8080/tcp`, port: 8080 };
const UDP = { name: `${VIP4}:9001/udp`, port: 9001 };
const LINE = { name: `${VIP4}:9000/tcp`, port: 9000 };
const RATES = { http4: 40, http6: 20, udp: 30 };
const HOLDS = 6;
const HOLD_INTERVAL_MS = 200;
/* Traffic runs this long before the first operation (holds open, flows settle) and after the last. */
const SETTLE_MS = 4_000;
const RSS_EVERY_MS = 2_000;
/* Start-up allocations (the store, maps, the conntrack worker, the first stats) are done by then. */
const RSS_WARM_UP_S = 30;
/*
 * The agent is SIGKILLed only once it has run this long (90 s, or a sixth of
 * the soak if that is longer): its RSS peaks about 20 MB up at its first
 * major GC (35-55 s after start) and climbs and falls by as much every
 * 60 s after, so a memory trend needs agent processes that live through
 * several of those cycles. A 30-minute soak restarts the agent about 6 times.
 */
const minAgentLifeS = (soakSeconds: number) => Math.max(90, soakSeconds / 6);
const HEALTHY_TIMEOUT_MS = 20_000;
const DRAIN_WAIT_MS = 5_000;
const RELOAD_TIMEOUT_MS = 10_000;

export interface SoakOptions {
  seed: number;
  seconds: number;
  operations: number;
  /** Namespace prefix and run directory of the test network. */
  prefix: string;
  runDir: string;
  log: (message: string) => void;
}

export interface OperationRecord extends Operation {
  index: number;
  at: number;
  ms: number;
  error: string | null;
}

export interface SoakResult {
  seed: number;
  bounds: { seconds: number; operations: number };
  startedAt: string;
  seconds: number;
  traffic: Record<string, unknown>;
  operations: OperationRecord[];
  operationErrors: number;
  deaths: Interval[];
  removals: Interval[];
  failures: (RequestFailure & { excuse: string | null })[];
  attributableFailures: number;
  /** Per killed server: the failures it explains, and how long after the kill a new TCP flow (health-checked) still went to it. */
  deathEffects: { backend: string; from: number; to: number | null; tcpFailures: number; udpFailures: number; lastTcpStartAfterS: number | null }[];
  holds: { opened: number; ended: number; broken: number; excused: number; attributableBroken: number; brokenList: (HoldEnd & { excuse: string | null })[] };
  memory: MemoryReport;
  rssSamples: RssSample[];
  trafficErrors: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const endpointOf = (address: string, port: number) => (address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`);

export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const { log } = options;
  const random = seededRandom(options.seed);
  const started = Date.now();
  /* `seconds` bounds the traffic and the operations, from the moment the traffic starts. */
  let hardEnd = Infinity;
  const net = testNetwork({
    prefix: options.prefix,
    runDir: options.runDir,
    stateFiles: ['data', 'agent.sock', 'admin.token', 'soak-config.json'],
    backends: BACKENDS,
  });
  let network: Network | undefined;
  let agent: AgentProcess | undefined;
  let traffic: ChildProcess | undefined;
  let sampler: NodeJS.Timeout | undefined;
  try {
    network = await net.setUp();
    const topology = network.topology;
    const plans = new Map(topology.backends.map((b) => [b.name, b]));
    const allBackends = [...plans.keys()];
    const nameOfEndpoint = new Map<string, string>();
    for (const b of topology.backends)
      for (const port of [8080, 9000, 9001]) {
        nameOfEndpoint.set(endpointOf(b.ipv4, port), b.name);
        nameOfEndpoint.set(endpointOf(b.ipv6, port), b.name);
      }
    const address = (name: string, family: 4 | 6) => (family === 4 ? plans.get(name)!.ipv4 : plans.get(name)!.ipv6);

    /* The desired state, as the soak believes it; every operation updates it after the agent accepted it. */
    const initial = allBackends.slice(0, 3);
    const model: ServiceModel[] = [
      { ...HTTP4, family: 4, backendPort: 8080, algorithm: 'round-robin', members: new Map() },
      { ...HTTP6, family: 6, backendPort: 8080, algorithm: 'maglev', members: new Map() },
      { ...UDP, family: 4, backendPort: 9001, algorithm: 'source-hash', members: new Map() },
      { ...LINE, family: 4, backendPort: 9000, algorithm: 'least-connections', members: new Map() },
    ];
    for (const s of model) for (const b of initial) s.members.set(b, { state: 'ready', weight: 1 });
    const checkOf = (s: ServiceModel) => (s === model[0] ? { type: 'http', ...CHECK } : s === model[2] ? { type: 'none' } : { type: 'tcp', ...CHECK });
    const configFile = join(network.runDir, 'soak-config.json');
    writeJson(configFile, {
      version: 1,
      services: model.map((s) => ({
        address: s === model[1] ? VIP6 : VIP4,
        port: s.port,
        protocol: s === model[2] ? 'udp' : 'tcp',
        algorithm: s.algorithm,
        healthCheck: checkOf(s),
        backends: initial.map((b) => ({ address: address(b, s.family), port: s.backendPort, weight: 1 })),
      })),
    });
    const agentArgs = ['--config', configFile];
    let agentStartedAt = Date.now();
    agent = await AgentProcess.start(network, agentArgs);
    const theNetwork = network;
    const api = () => apiClient(theNetwork);
    const serviceOf = (name: string) => model.find((s) => s.name === name)!;
    const endpoint = (s: ServiceModel, b: string) => endpointOf(address(b, s.family), s.backendPort);

    /** Until the agent's health checks see `backend` up in every checked service that has it. */
    const waitHealthy = async (backend?: string) => {
      const deadline = Date.now() + HEALTHY_TIMEOUT_MS;
      for (;;) {
        const health = await api()
          .health.list.query({})
          .catch(() => []);
        const down = health.filter((h) => !h.up && (!backend || nameOfEndpoint.get(h.endpoint) === backend) && h.checkType !== 'none');
        if (!down.length) return;
        if (Date.now() > deadline) throw new Error(`still down after ${HEALTHY_TIMEOUT_MS} ms: ${down.map((h) => `${h.service} ${h.endpoint}`).join(', ')}`);
        await sleep(200);
      }
    };
    await waitHealthy();

    /* RSS of whichever agent process is running; a new pid starts a new series. */
    const rssSamples: RssSample[] = [];
    let series = 0;
    let seriesPid = agent.pid;
    const sample = () => {
      if (!agent?.running) return;
      if (agent.pid !== seriesPid) {
        series++;
        seriesPid = agent.pid;
      }
      const rssMb = readRssMb(agent.pid);
      if (rssMb !== null) rssSamples.push({ series, pid: agent.pid, t: Date.now(), age: (Date.now() - agentStartedAt) / 1000, rssMb });
    };
    sample();
    sampler = setInterval(sample, RSS_EVERY_MS);

    /* The traffic, and the judging of what it reports. */
    const deaths: Interval[] = [];
    const removals: Interval[] = [];
    const failures: RequestFailure[] = [];
    const holdEnds: HoldEnd[] = [];
    const trafficErrors: string[] = [];
    let totals: Record<string, unknown> = {};
    const serviceByTarget = new Map([
      [`${VIP4}:8080:http`, HTTP4.name],
      [`${VIP6}:8080:http`, HTTP6.name],
      [`${VIP4}:9001:udp`, UDP.name],
      [`${VIP4}:9000:hold`, LINE.name],
    ]);
    const onEvent = (event: any) => {
      if (event.type === 'fail') {
        let backendEndpoint: string | null = null;
        try {
          backendEndpoint = flowBackend(theNetwork.pinDir, {
            client: event.source,
            clientPort: event.sport,
            vip: event.host,
            vipPort: event.port,
            protocol: event.kind === 'udp' ? 'udp' : 'tcp',
          });
        } catch (error) {
          trafficErrors.push(`flow lookup of ${event.source}:${event.sport}: ${(error as Error).message}`);
        }
        failures.push({
          kind: event.kind,
          service: serviceByTarget.get(`${event.host}:${event.port}:${event.kind}`)!,
          sport: event.sport,
          start: event.start,
          end: event.end,
          reason: event.reason,
          backend: backendEndpoint ? (nameOfEndpoint.get(backendEndpoint) ?? backendEndpoint) : null,
          backendEndpoint,
        });
      } else if (event.type === 'hold-end') {
        holdEnds.push({
          id: event.id,
          service: LINE.name,
          backend: event.backend,
          openedAt: event.openedAt,
          t: event.t,
          broken: event.broken,
          reason: event.reason,
          sent: event.sent,
          received: event.received,
        });
      } else if (event.type === 'tick' || event.type === 'done') {
        const { type, t, ...rest } = event;
        totals = rest;
      }
    };
    const trafficConfig = {
      seconds: options.seconds + 5 /* its own bound; the soak stops it earlier */,
      maxRequests: Math.ceil((options.seconds + 5) * (RATES.http4 + RATES.http6 + RATES.udp) * 1.5),
      requestTimeoutMs: 5_000,
      udpTimeoutMs: 3_000,
      http: [
        { host: VIP4, port: HTTP4.port, source: CLIENT4, perSecond: RATES.http4 },
        { host: VIP6, port: HTTP6.port, source: CLIENT6, perSecond: RATES.http6 },
      ],
      udp: [{ host: VIP4, port: UDP.port, source: CLIENT4, perSecond: RATES.udp }],
      holds: { host: VIP4, port: LINE.port, source: CLIENT4, count: HOLDS, intervalMs: HOLD_INTERVAL_MS },
    };
    hardEnd = Date.now() + options.seconds * 1000;
    traffic = spawnIn(topology.client.namespace, process.execPath, [TRAFFIC, '--config', JSON.stringify(trafficConfig)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const trafficDone = new Promise<void>((resolve) => traffic!.once('exit', () => resolve()));
    let pending = '';
    traffic.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      pending += chunk;
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        try {
          onEvent(JSON.parse(line));
        } catch (error) {
          trafficErrors.push(`traffic line "${line.slice(0, 200)}": ${(error as Error).message}`);
        }
      }
    });
    traffic.stderr!.setEncoding('utf8').on('data', (chunk: string) => trafficErrors.push(chunk.trim()));
    await sleep(SETTLE_MS);

    /* The operations, one at a time, with a random pause between them. */
    const dead = new Set<string>();
    const unplayed = shuffledKinds(random);
    const records: OperationRecord[] = [];
    const opsEnd = hardEnd - SETTLE_MS;
    for (let index = 0; index < options.operations && Date.now() < opsEnd; index++) {
      const op = chooseOperation(random, {
        pending: unplayed,
        services: model,
        allBackends,
        dead,
        mayRestartAgent: Date.now() - agentStartedAt >= minAgentLifeS(options.seconds) * 1000,
      });
      const pauseMs = random.int(500, 2_500);
      const at = Date.now();
      let error: string | null = null;
      try {
        await perform(op);
      } catch (e) {
        error = (e as Error).message.split('\n')[0]!;
      }
      const record = { index, at, ms: Date.now() - at, error, ...op };
      records.push(record);
      log(
        `op ${index} ${op.kind}${op.service ? ` ${op.service}` : ''}${op.backend ? ` ${op.backend}` : ''}: ${op.detail} (${record.ms} ms)${error ? ` FAILED: ${error}` : ''}`,
      );
      /* Without an agent every later operation is refused: the soak would go on measuring nothing. */
      if (op.kind === 'agent-restart' && error) {
        log('the agent did not come back: no more operations');
        break;
      }
      await sleep(Math.min(pauseMs, Math.max(0, opsEnd - Date.now())));
    }
    await sleep(Math.min(SETTLE_MS, Math.max(0, hardEnd - Date.now())));
    traffic.kill('SIGTERM');
    await Promise.race([trafficDone, sleep(10_000)]);
    clearInterval(sampler);
    sample();

    async function perform(op: Operation): Promise<void> {
      const s = op.service ? serviceOf(op.service) : undefined;
      switch (op.kind) {
        case 'add': {
          const weight = numberIn(op.detail);
          const a = address(op.backend!, s!.family);
          await api().backends.add.mutate({ service: s!.name, address: a, port: s!.backendPort, weight });
          s!.members.set(op.backend!, { state: 'ready', weight });
          const removal = removals.find((r) => r.backend === op.backend && r.service === s!.name && r.to === null);
          if (removal) removal.to = Date.now();
          await waitHealthy(op.backend);
          return;
        }
        case 'remove': {
          const e = endpoint(s!, op.backend!);
          await api().backends.setState.mutate({ service: s!.name, endpoint: e, state: 'drain' });
          s!.members.get(op.backend!)!.state = 'drain';
          const deadline = Date.now() + DRAIN_WAIT_MS;
          while (Date.now() < deadline) {
            const row = (await api().backends.list.query({ service: s!.name })).find((b) => b.endpoint === e);
            if (!row || row.activeFlows === 0) break;
            await sleep(200);
          }
          removals.push({ backend: op.backend!, service: s!.name, from: Date.now(), to: null });
          await api().backends.remove.mutate({ service: s!.name, endpoint: e, force: true });
          s!.members.delete(op.backend!);
          return;
        }
        case 'reweight': {
          const weight = numberIn(op.detail);
          await api().backends.setWeight.mutate({ service: s!.name, endpoint: endpoint(s!, op.backend!), weight });
          s!.members.get(op.backend!)!.weight = weight;
          return;
        }
        case 'drain':
        case 'maintenance':
        case 'ready': {
          const state: AdminState = op.kind === 'drain' ? 'drain' : op.kind === 'maintenance' ? 'maint' : 'ready';
          await api().backends.setState.mutate({ service: s!.name, endpoint: endpoint(s!, op.backend!), state });
          s!.members.get(op.backend!)!.state = state;
          return;
        }
        case 'algorithm': {
          const next = op.detail.split(' -> ')[1] as ServiceModel['algorithm'];
          await api().services.update.mutate({ service: s!.name, algorithm: next });
          s!.algorithm = next;
          return;
        }
        case 'agent-restart': {
          await agent!.kill();
          agentStartedAt = Date.now();
          agent = await AgentProcess.start(theNetwork, agentArgs);
          if (!/adopted \d+ pinned maps/.test(agent.output)) throw new Error(`the restarted agent did not adopt the pinned maps:\n${agent.output}`);
          return;
        }
        case 'config-reload': {
          const weight = numberIn(op.detail);
          const document = await api().config.export.query();
          const e = endpoint(s!, op.backend!);
          const target = document.services.find((x: any) => `${endpointOf(x.address, x.port)}/${x.protocol}` === s!.name);
          const backend = target?.backends.find((b: any) => endpointOf(b.address, b.port) === e);
          if (!backend) throw new Error(`${e} is not in the exported configuration of ${s!.name}`);
          backend.weight = weight;
          writeJson(configFile, document);
          agent!.reloadConfig();
          const deadline = Date.now() + RELOAD_TIMEOUT_MS;
          for (;;) {
            const row = (await api().backends.list.query({ service: s!.name })).find((b) => b.endpoint === e);
            if (row?.weight === weight) break;
            if (Date.now() > deadline)
              throw new Error(`weight ${weight} of ${e} not applied ${RELOAD_TIMEOUT_MS} ms after SIGHUP:\n${agent!.output.slice(-2000)}`);
            await sleep(100);
          }
          s!.members.get(op.backend!)!.weight = weight;
          return;
        }
        case 'backend-dies': {
          const name = op.backend!;
          const status = serverStatus(topology.stateDir, name);
          if (!status.alive || !status.pid) throw new Error(`server of ${name} is not running before the kill`);
          const death: Interval = { backend: name, from: Date.now(), to: null };
          deaths.push(death);
          dead.add(name);
          process.kill(status.pid, 'SIGKILL');
          await sleep(numberIn(op.detail) * 1000);
          await startServer(topology.stateDir, plans.get(name)!);
          death.to = Date.now();
          dead.delete(name);
          await waitHealthy(name);
          return;
        }
      }
    }

    const judged = failures.map((f) => ({ ...f, excuse: excuseForRequest(f, deaths) }));
    const brokenList = holdEnds.filter((h) => h.broken).map((h) => ({ ...h, excuse: excuseForHold(h, deaths, removals) }));
    return {
      seed: options.seed,
      bounds: { seconds: options.seconds, operations: options.operations },
      startedAt: new Date(started).toISOString(),
      seconds: (Date.now() - started) / 1000,
      traffic: totals,
      operations: records,
      operationErrors: records.filter((r) => r.error).length,
      deaths,
      removals,
      failures: judged,
      attributableFailures: judged.filter((f) => !f.excuse).length,
      deathEffects: deaths.map((d) => {
        const on = judged.filter((f) => f.backend === d.backend && f.start >= d.from && f.start <= (d.to ?? Infinity));
        const tcp = on.filter((f) => f.kind !== 'udp');
        return {
          ...d,
          tcpFailures: tcp.length,
          udpFailures: on.length - tcp.length,
          lastTcpStartAfterS: tcp.length ? Math.max(...tcp.map((f) => f.start - d.from)) / 1000 : null,
        };
      }),
      holds: {
        opened: (totals.holds as { opened?: number } | undefined)?.opened ?? 0,
        ended: holdEnds.length,
        broken: brokenList.length,
        excused: brokenList.filter((h) => h.excuse).length,
        attributableBroken: brokenList.filter((h) => !h.excuse).length,
        brokenList,
      },
      memory: memoryReport(rssSamples, RSS_WARM_UP_S),
      rssSamples,
      trafficErrors,
    };
  } finally {
    if (sampler) clearInterval(sampler);
    if (traffic && traffic.exitCode === null && traffic.signalCode === null) traffic.kill('SIGKILL');
    await agent?.stopAndTeardown();
    await net.tearDown();
  }
}
