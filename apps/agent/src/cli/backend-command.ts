/* sluice backend add|set|drain|ready|maint|rm SERVICE ADDR:PORT [ADDR:PORT...] */
import type { AdminState, BackendView } from '@sluice/api';
import { UsageError, duration, integer, noMoreThan, parse, positional } from './args.js';
import { connect } from './connection.js';
import { activeText, emit, healthWord, withEstimateNote } from './output.js';
import { formatTable } from './table.js';

export const BACKEND_USAGE = `sluice backend ls SERVICE [--json [--stable]]   (--stable: settings and health state only, sorted, for diffs)
  sluice backend add SERVICE ADDR:PORT [--weight N] [--state ready|drain|maint]
  sluice backend set SERVICE ADDR:PORT... --weight N
  sluice backend drain SERVICE ADDR:PORT... [--drain-timeout 30s]
  sluice backend ready|maint SERVICE ADDR:PORT...
  sluice backend rm SERVICE ADDR:PORT... [--force]
    several ADDR:PORT: one change to all of them, all or nothing`;
export const BACKEND_VERBS = ['ls', 'list', 'add', 'set', 'drain', 'ready', 'maint', 'rm', 'remove'] as const;

const FLAGS = {
  weight: { type: 'string' },
  state: { type: 'string' },
  'drain-timeout': { type: 'string' },
  force: { type: 'boolean', default: false },
  stable: { type: 'boolean', default: false },
} as const;

export function backendTable(backends: BackendView[]): string {
  const table = formatTable(
    ['BACKEND', 'WEIGHT', 'STATE', 'HEALTH', 'ACTIVE', 'DRAIN'],
    backends.map((b) => [
      b.endpoint,
      b.weight,
      b.state,
      b.health ? healthWord(b.health) : 'n/a',
      activeText(b),
      b.drain ? (b.drain.expired ? 'expired' : b.drain.deadline ? `until ${new Date(b.drain.deadline).toISOString()}` : 'no timeout') : '',
    ]),
  );
  return withEstimateNote(table, backends);
}

/*
 * What `backend ls --json --stable` prints: the backend's settings and health
 * state, without what changes between two calls on a quiet system (probe
 * times, latencies, failure counts, open flows), sorted by endpoint, so a
 * script can diff two listings and see only real changes.
 */
export function stableBackendView(b: BackendView) {
  return {
    service: b.service,
    endpoint: b.endpoint,
    address: b.address,
    port: b.port,
    weight: b.weight,
    state: b.state,
    eligible: b.eligible,
    health: b.health ? { up: b.health.up, pending: b.health.pending } : null,
    drain: b.drain,
    createdAt: b.createdAt,
    updatedAt: b.updatedAt,
  };
}

export const stableBackendList = (backends: BackendView[]) =>
  backends.map(stableBackendView).sort((a, b) => (a.endpoint < b.endpoint ? -1 : a.endpoint > b.endpoint ? 1 : 0));

export async function backendCommand(argv: string[]): Promise<void> {
  const [verb, ...rest] = argv;
  const command = `backend ${verb ?? ''}`.trimEnd();
  const { values, positionals } = parse(rest, FLAGS, command);
  const client = await connect(values);
  const service = () => positional(positionals, 0, 'SERVICE (VIP:PORT/PROTO)', BACKEND_USAGE);
  const endpoints = () => {
    positional(positionals, 1, 'ADDR:PORT', BACKEND_USAGE);
    return positionals.slice(1);
  };
  const one = (list: string[]) => (list.length === 1 ? list[0]! : undefined);

  switch (verb) {
    case 'ls':
    case 'list': {
      if (values.stable && !values.json) throw new UsageError('--stable shapes the --json output: add --json');
      const name = service();
      noMoreThan(positionals, 1, command);
      const backends = await client.backends.list.query({ service: name });
      return emit(values.json, values.stable ? stableBackendList(backends) : backends, () => backendTable(backends));
    }
    case 'add': {
      const name = service();
      const [address, port] = splitEndpoint(positional(positionals, 1, 'ADDR:PORT', BACKEND_USAGE));
      noMoreThan(positionals, 2, command);
      const weight = integer('weight', values.weight);
      const added = await client.backends.add.mutate({
        service: name,
        address,
        port,
        weight,
        state: values.state as AdminState | undefined,
      });
      return emit(values.json, added, () => `backend ${added.endpoint} added to ${added.service} (weight ${added.weight}, ${added.state})`);
    }
    case 'set': {
      const weight = integer('weight', values.weight);
      if (weight === undefined) throw new UsageError(`backend set needs --weight N\nusage: ${BACKEND_USAGE}`);
      const list = endpoints();
      const single = one(list);
      const result = single
        ? await client.backends.setWeight.mutate({ service: service(), endpoint: single, weight })
        : await client.backends.bulk.mutate({ service: service(), endpoints: list, change: { action: 'setWeight', weight } });
      return emit(values.json, result, () => `weight ${weight} set on ${list.join(', ')}`);
    }
    case 'drain':
    case 'ready':
    case 'maint': {
      const drainTimeoutMs = duration('drain-timeout', values['drain-timeout']);
      if (drainTimeoutMs !== undefined && verb !== 'drain') throw new UsageError('--drain-timeout goes with drain only');
      const list = endpoints();
      const single = one(list);
      const result = single
        ? await client.backends.setState.mutate({ service: service(), endpoint: single, state: verb, drainTimeoutMs })
        : await client.backends.bulk.mutate({ service: service(), endpoints: list, change: { action: 'setState', state: verb, drainTimeoutMs } });
      return emit(values.json, result, () => {
        const views = 'backends' in result ? result.backends : [result];
        return `${verb}: ${list.join(', ')}\n${backendTable(views)}`;
      });
    }
    case 'rm':
    case 'remove': {
      const list = endpoints();
      const single = one(list);
      const result = single
        ? await client.backends.remove.mutate({ service: service(), endpoint: single, force: values.force })
        : await client.backends.bulk.mutate({ service: service(), endpoints: list, change: { action: 'remove', force: values.force } });
      return emit(
        values.json,
        result,
        () =>
          `removed ${list.join(', ')}${result.flowsEnded ? ` (${result.flowsEnded} open connections cut)` : ''}${result.closedEntriesRemoved ? ` (${result.closedEntriesRemoved} closed entries cleared)` : ''}`,
      );
    }
    default:
      throw new UsageError(`unknown backend command "${verb ?? ''}"\nusage: ${BACKEND_USAGE}`);
  }
}

function splitEndpoint(text: string): [string, number] {
  const match = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:[\]]+):(\d+)$/.exec(text);
  if (!match) throw new UsageError(`"${text}" is not ADDR:PORT (IPv6 as [ADDR]:PORT)`);
  return [match[1]!, Number(match[2])];
}
