/* sluice service add|set|set-mode|rm|ls VIP:PORT/PROTO */
import type { HealthCheckPatch } from '@sluice/api';
import { FORWARDING_MODES, type ForwardingMode, parseServiceName } from '@sluice/api/names';
import { UsageError, duration, integer, noMoreThan, parse, positional, statusRange } from './args.js';
import { connect } from './connection.js';
import { activeText, emit, withEstimateNote } from './output.js';
import { formatTable } from './table.js';

export const SERVICE_USAGE = `sluice service add VIP:PORT/PROTO [--algorithm A] [--mode M] [--client-rate N] [health-check flags]
  sluice service set VIP:PORT/PROTO [--algorithm A] [--mode M] [--client-rate N] [health-check flags]
  sluice service set-mode VIP:PORT/PROTO nat|dsr|ipip|gue
  sluice service rm VIP:PORT/PROTO [--force]
  sluice service ls
    algorithms: round-robin weighted-round-robin least-connections source-hash maglev
    modes (--mode, default nat; a switch moves new connections, open ones keep their mode):
      nat   replies return through the balancer; backends route through it
      dsr   only the MAC changes; backends on the balancer's link, VIP on their loopback
      ipip  IP-in-IP to the backend (any distance); the backend decapsulates
      gue   UDP (GUE) to the backend, for fabrics that drop IP-in-IP; the backend decapsulates
      in dsr, ipip and gue replies bypass the balancer: active counts are estimates (~N)
    --client-rate N: new connections per client address per second, more are dropped (0: no limit)
    health-check flags: --check tcp|http|none --check-interval 2s --check-timeout 1s
                        --rise N --fall N --check-path /health --check-expect 200-399`;
export const SERVICE_VERBS = ['add', 'set', 'set-mode', 'rm', 'remove', 'ls', 'list'] as const;

const FLAGS = {
  algorithm: { type: 'string' },
  mode: { type: 'string' },
  'client-rate': { type: 'string' },
  check: { type: 'string' },
  'check-interval': { type: 'string' },
  'check-timeout': { type: 'string' },
  rise: { type: 'string' },
  fall: { type: 'string' },
  'check-path': { type: 'string' },
  'check-expect': { type: 'string' },
  force: { type: 'boolean', default: false },
} as const;

function healthPatch(values: Record<string, unknown>): HealthCheckPatch | undefined {
  const patch: HealthCheckPatch = {};
  if (values.check !== undefined) patch.type = values.check as HealthCheckPatch['type'];
  const set = <K extends keyof HealthCheckPatch>(key: K, value: HealthCheckPatch[K] | undefined) => {
    if (value !== undefined) patch[key] = value;
  };
  set('intervalMs', duration('check-interval', values['check-interval'] as string | undefined));
  set('timeoutMs', duration('check-timeout', values['check-timeout'] as string | undefined));
  set('rise', integer('rise', values.rise as string | undefined));
  set('fall', integer('fall', values.fall as string | undefined));
  set('path', values['check-path'] as string | undefined);
  set('expectStatus', statusRange('check-expect', values['check-expect'] as string | undefined));
  return Object.keys(patch).length ? patch : undefined;
}

/* "none", or the limit as "20/s": what a client may open per second. */
const clientRateText = (rate: number) => (rate === 0 ? 'none' : `${rate}/s`);

const summary = (s: { algorithm: string; mode: string; clientRate: number; healthCheck: { type: string } }) =>
  `${s.algorithm}, ${s.mode}, ${s.clientRate === 0 ? '' : `client rate ${s.clientRate}/s, `}check ${s.healthCheck.type}`;

export async function serviceCommand(argv: string[]): Promise<void> {
  const [verb, ...rest] = argv;
  const command = `service ${verb ?? ''}`.trimEnd();
  const { values, positionals } = parse(rest, FLAGS, command);
  const client = await connect(values);
  switch (verb) {
    case 'ls':
    case 'list': {
      noMoreThan(positionals, 0, command);
      const services = await client.services.list.query();
      return emit(values.json, services, () =>
        withEstimateNote(
          formatTable(
            ['SERVICE', 'ALGORITHM', 'MODE', 'CHECK', 'BACKENDS', 'ELIGIBLE', 'ACTIVE', 'CLIENT-RATE'],
            services.map((s) => [
              s.name,
              s.algorithm,
              s.mode,
              s.healthCheck.type,
              s.backendCount,
              s.eligibleBackends,
              activeText(s),
              clientRateText(s.clientRate),
            ]),
          ),
          services,
        ),
      );
    }
    case 'add': {
      const name = positional(positionals, 0, 'VIP:PORT/PROTO', SERVICE_USAGE);
      noMoreThan(positionals, 1, command);
      const address = parseServiceName(name);
      if (typeof address === 'string') throw new UsageError(address);
      const created = await client.services.create.mutate({
        ...address,
        algorithm: values.algorithm as any,
        mode: values.mode as any,
        clientRate: integer('client-rate', values['client-rate']),
        healthCheck: healthPatch(values),
      });
      return emit(values.json, created, () => `service ${created.name} added (${summary(created)})`);
    }
    case 'set': {
      const service = positional(positionals, 0, 'VIP:PORT/PROTO', SERVICE_USAGE);
      noMoreThan(positionals, 1, command);
      const updated = await client.services.update.mutate({
        service,
        algorithm: values.algorithm as any,
        mode: values.mode as any,
        clientRate: integer('client-rate', values['client-rate']),
        healthCheck: healthPatch(values),
      });
      return emit(values.json, updated, () => `service ${updated.name} set (${summary(updated)})`);
    }
    case 'set-mode': {
      const service = positional(positionals, 0, 'VIP:PORT/PROTO', SERVICE_USAGE);
      const mode = positional(positionals, 1, FORWARDING_MODES.join('|'), SERVICE_USAGE);
      noMoreThan(positionals, 2, command);
      if (!(FORWARDING_MODES as readonly string[]).includes(mode)) throw new UsageError(`mode must be one of ${FORWARDING_MODES.join(', ')}, not "${mode}"`);
      const updated = await client.services.update.mutate({ service, mode: mode as ForwardingMode });
      return emit(
        values.json,
        updated,
        () => `service ${updated.name} now uses ${updated.mode} for new connections; open connections keep the mode they began with`,
      );
    }
    case 'rm':
    case 'remove': {
      const service = positional(positionals, 0, 'VIP:PORT/PROTO', SERVICE_USAGE);
      noMoreThan(positionals, 1, command);
      const result = await client.services.delete.mutate({ service, force: values.force });
      return emit(values.json, result, () => `service ${result.deleted} removed${result.flowsEnded ? ` (${result.flowsEnded} flows ended)` : ''}`);
    }
    default:
      throw new UsageError(`unknown service command "${verb ?? ''}"\nusage: ${SERVICE_USAGE}`);
  }
}
