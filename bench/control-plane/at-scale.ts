/*
 * The control plane at scale (issue 14): the real agent with 256 services
 * of 16 backends each (the data plane's MAX_SERVICES and, but for two free
 * slots, MAX_BACKENDS), so that a cost which grows with the configuration
 * shows. Timed: the first start that imports the configuration file, to
 * ready; its memory once ready; one change through the API (reweight in a
 * maglev and in a round-robin service, an added backend) until the pinned
 * services map shows it; a restart of the same agent (store and pinned maps
 * kept, adopted) to ready. The 1-service figures (api-latency.ts) are the
 * same changes on a small configuration.
 */
import { openPinnedMaps } from '@sluice/dataplane';
import { serviceKeyOf } from '@sluice/agent/map-entries';
import { type BenchRecord, againstGoal, notMeasured } from '../record.js';
import { sleep } from '../processes.js';
import { BENCH_PIN_DIR, cleanBpffs, ensureCompiledAgent, startAgent, stopAgent, type AgentHandle } from '../sluice-agent.js';
import { type ApiChange, flipped, timeApiChange, visibleAfterRecord } from './api-latency.js';
import { rssMb } from './agent-idle.js';
import { startBackendResponder, type BackendResponder } from './backend-responder.js';
import { LIVE_FEEDS_FIGURE, measureLiveFeedsCost } from './live-feeds.js';

export const SCALE_SERVICES = 256;
export const SCALE_BACKENDS_PER_SERVICE = 16;
/* The add-backend service starts two short: one slot for the added backend, one for the removed one while its id waits for its flows to end (reconciler rule 6). */
const ADD_TARGET = 2;
const START_GOAL_MS = 2_000;
const RSS_GOAL_MB = 200;
/* After ready: the first import's garbage is collected within a few seconds. */
const RSS_SETTLE_MS = 3_000;

/*
 * Every backend is health-checked, as an operator's would be: a change must
 * not cost more with 4,096 checked backends (it did: the checker's targets
 * were all set again on every change). One listener in the namespace answers
 * every backend's probe (backend-responder.ts). All but the add-backend
 * service's: a backend added to a checked service takes no flow before its
 * first check passes (up to a second later, by design), which is not the
 * control plane's time.
 */
const HEALTH_CHECK = { type: 'tcp', intervalMs: 5_000, timeoutMs: 1_000, rise: 1, fall: 3 } as const;
const BACKEND_PORT = 8080;
/* Where backendAddress() puts them: 198.19.16.x to 198.19.47.x. */
const BACKEND_PREFIXES = ['198.19.16.0/20', '198.19.32.0/20'];
/* Within this after the first start every backend has passed its first check (they start pending, first checks spread over 1 s). */
const ALL_UP_DEADLINE_MS = 30_000;

const vip = (i: number) => ({ address: `198.18.${20 + (i >> 6)}.${(i & 63) + 1}`, port: 80, protocol: 'tcp' as const });
/* Every backend is its own endpoint: one endpoint may serve at most 16 services. */
const backendAddress = (i: number, j: number) => `198.19.${16 + (i >> 3)}.${(i & 7) * 16 + j + 2}`;
const nameOf = (i: number) => `${vip(i).address}:80/tcp`;

/** Even services maglev, odd ones round-robin, so both kinds of table are built at start. */
export function scaleConfig() {
  return {
    services: Array.from({ length: SCALE_SERVICES }, (_, i) => ({
      ...vip(i),
      algorithm: i % 2 === 0 ? 'maglev' : 'weighted-round-robin',
      healthCheck: i === ADD_TARGET ? ({ type: 'none' } as const) : HEALTH_CHECK,
      backends: Array.from({ length: SCALE_BACKENDS_PER_SERVICE - (i === ADD_TARGET ? 2 : 0) }, (_, j) => ({
        address: backendAddress(i, j),
        port: BACKEND_PORT,
        weight: 1,
      })),
    })),
  };
}

/* The changes, each on a service in the middle of the configuration. */
const MAGLEV_TARGET = 128;
const ROUND_ROBIN_TARGET = 129;
const changes: { service: number; change: ApiChange }[] = [
  {
    service: MAGLEV_TARGET,
    change: {
      name: 'reweight-maglev',
      make: (c) => c.backends.setWeight.mutate({ service: nameOf(MAGLEV_TARGET), endpoint: `${backendAddress(MAGLEV_TARGET, 0)}:8080`, weight: 3 }),
      undo: (c) => c.backends.setWeight.mutate({ service: nameOf(MAGLEV_TARGET), endpoint: `${backendAddress(MAGLEV_TARGET, 0)}:8080`, weight: 1 }),
      visible: flipped,
    },
  },
  {
    service: ROUND_ROBIN_TARGET,
    change: {
      name: 'reweight-weighted-round-robin',
      make: (c) => c.backends.setWeight.mutate({ service: nameOf(ROUND_ROBIN_TARGET), endpoint: `${backendAddress(ROUND_ROBIN_TARGET, 0)}:8080`, weight: 3 }),
      undo: (c) => c.backends.setWeight.mutate({ service: nameOf(ROUND_ROBIN_TARGET), endpoint: `${backendAddress(ROUND_ROBIN_TARGET, 0)}:8080`, weight: 1 }),
      visible: flipped,
    },
  },
  {
    service: ADD_TARGET,
    change: {
      name: 'add-backend',
      make: (c) => c.backends.add.mutate({ service: nameOf(ADD_TARGET), address: backendAddress(ADD_TARGET, 15), port: 8080, weight: 1 }),
      undo: (c) => c.backends.remove.mutate({ service: nameOf(ADD_TARGET), endpoint: `${backendAddress(ADD_TARGET, 15)}:8080`, force: true }),
      visible: flipped,
    },
  },
];

export const SCALE_FIGURES = {
  start: 'control-plane/at-scale/start-to-ready',
  restart: 'control-plane/at-scale/restart-to-ready',
  rss: 'control-plane/at-scale/agent-rss',
  changes: changes.map(({ change }) => `control-plane/at-scale/visible-after/${change.name}`),
};

const backendCount = () => scaleConfig().services.reduce((n, s) => n + s.backends.length, 0);
const checkedCount = () => scaleConfig().services.reduce((n, s) => n + (s.healthCheck.type === 'none' ? 0 : s.backends.length), 0);
const SETUP = () =>
  `${SCALE_SERVICES} services (half maglev, half weighted-round-robin), ${backendCount()} backends, ${checkedCount()} of them TCP-checked every ${HEALTH_CHECK.intervalMs / 1000} s (one listener in the namespace answers them all)`;

const goalRecord = (name: string, value: number, unit: string, goal: number, note: string) => againstGoal('control-plane', name, unit, goal, value, note);

/* What the restarted agent made of the running program (dataplane-owner.ts logs it). */
const tookOverNote = (log: string) =>
  /took over the running program/.test(log)
    ? 'taken over, not loaded and verified again'
    : `loaded and verified anew (${/loaded and verified the program \(id \d+\): ([^\n]*)/.exec(log)?.[1] ?? 'no log line'})`;

/** The first start keeps its maps pinned when it stops; the restart adopts them and detaches on its exit. */
async function timedStart(namespace: string, interfaces: string[], restart: boolean): Promise<{ agent: AgentHandle; ms: number }> {
  /* A build after an edit is no part of a start (a run of 7 Dec 2026 read 2.8 s with one inside, 1.8 s without). */
  ensureCompiledAgent();
  const start = process.hrtime.bigint();
  const agent = await startAgent(namespace, interfaces, scaleConfig(), { keepState: restart, keepPinsOnExit: !restart });
  return { agent, ms: Number(process.hrtime.bigint() - start) / 1e6 };
}

/** Needs the bench namespace and an empty bench bpffs; leaves it empty. Never throws: a failure is a "not measured". */
export async function measureAtScale(namespace: string, interfaces: string[], samples: number, log: (m: string) => void): Promise<BenchRecord[]> {
  const records: BenchRecord[] = [];
  let agent: AgentHandle | undefined;
  let responder: BackendResponder | undefined;
  try {
    responder = await startBackendResponder(namespace, BACKEND_PREFIXES, BACKEND_PORT);
    log(`the agent with ${SETUP()}: first start`);
    const first = await timedStart(namespace, interfaces, false);
    agent = first.agent;
    /* Without the health checks' up/down lines: one per backend. */
    log(
      `first start log:\n${agent
        .log()
        .split('\n')
        .filter((line) => !/ info +backend .* is (up|down)$/.test(line))
        .join('\n')}`,
    );
    records.push(
      goalRecord(
        SCALE_FIGURES.start,
        first.ms,
        'ms',
        START_GOAL_MS,
        `spawn of \`sluice agent\` (ip netns exec, fresh store and bpffs, program loaded and attached) until its ready file, importing ${SETUP()} from --config`,
      ),
    );
    await sleep(RSS_SETTLE_MS);
    records.push(
      goalRecord(SCALE_FIGURES.rss, rssMb(agent.pid), 'MB', RSS_GOAL_MB, `VmRSS ${RSS_SETTLE_MS / 1000} s after the first start's ready, ${SETUP()}`),
    );
    const client = agent.client();
    await allBackendsUp(client);
    const pinned = openPinnedMaps(BENCH_PIN_DIR);
    try {
      for (const { service, change } of changes) {
        log(`at scale: ${change.name}`);
        const key = serviceKeyOf(vip(service));
        const times = await timeApiChange(client, () => pinned.maps.services.lookup(key), change, samples, nameOf(service));
        records.push(visibleAfterRecord(`control-plane/at-scale/visible-after/${change.name}`, times, `${SETUP()} configured`));
      }
    } finally {
      pinned.close();
    }
    log(`at scale: ${LIVE_FEEDS_FIGURE}`);
    records.push(await measureLiveFeedsCost(agent, `${SETUP()} configured, no traffic`));
    /* Stopped as a restart stops it: the program stays attached and forwarding, its maps pinned. */
    await stopAgent(agent, { keepProgram: true });
    agent = undefined;
    log('at scale: restart');
    const again = await timedStart(namespace, interfaces, true);
    agent = again.agent;
    log(`restart log:\n${agent.log()}`);
    records.push(
      goalRecord(
        SCALE_FIGURES.restart,
        again.ms,
        'ms',
        START_GOAL_MS,
        `spawn of \`sluice agent\` until its ready file, restarted on the first start's store and its maps still pinned (adopted, ${SETUP()} reconciled against them; the first agent's program left attached, as a restart leaves it: ${tookOverNote(agent.log())})`,
      ),
    );
  } catch (error) {
    log(`at scale failed: ${(error as Error).stack}`);
    const reason = `failed: ${(error as Error).message.split('\n')[0]}`;
    const done = new Set(records.map((r) => r.name));
    const all = [SCALE_FIGURES.start, SCALE_FIGURES.rss, ...SCALE_FIGURES.changes, LIVE_FEEDS_FIGURE, SCALE_FIGURES.restart];
    const unitOf = (name: string) => (name.endsWith('rss') ? 'MB' : name === LIVE_FEEDS_FIGURE ? '% of a core' : 'ms');
    for (const name of all) if (!done.has(name)) records.push(notMeasured('control-plane', name, unitOf(name), reason));
  } finally {
    await stopAgent(agent);
    await responder?.stop();
    cleanBpffs();
  }
  return records;
}

/** Waits until the agent reports every backend up: a change's table is only visible with its backends in it. */
async function allBackendsUp(client: ReturnType<AgentHandle['client']>): Promise<void> {
  const deadline = Date.now() + ALL_UP_DEADLINE_MS;
  let down = -1;
  while (Date.now() < deadline) {
    const checked = (await client.health.list.query()).filter((backend) => backend.checkType !== 'none');
    down = checked.filter((backend) => !backend.up).length;
    if (checked.length === checkedCount() && down === 0) return;
    await sleep(250);
  }
  throw new Error(`${down} of ${checkedCount()} checked backends were not up within ${ALL_UP_DEADLINE_MS} ms of the start`);
}
