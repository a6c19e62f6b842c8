/*
 * sluice backend-host attach | detach | check: prepares a backend for a
 * balancer's dsr, ipip and gue services. Runs on the backend host itself (as
 * root), not against an agent: it loads the decapsulation program, fills its
 * maps and checks the host's settings, printing the fix for each problem.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { isIP } from 'node:net';
import { readPinnedDecapCounters } from '@sluice/dataplane';
import { UsageError, integer, noMoreThan, parse } from './args.js';
import { attachDecap, detachDecap } from './backend-host/attach.js';
import { type CheckResult, checkHost } from './backend-host/checks.js';
import { type MssFit, type MssRestore, describeRoute } from './backend-host/mss.js';
import { DEFAULT_RUN_DIR, type DecapMode, type HostState, pinDirOf, readState } from './backend-host/state.js';
import { emit } from './output.js';
import { BACKEND_HOST_USAGE } from './backend-host-usage.js';
import { connect } from './connection.js';
import { readReport } from './backend-host/report.js';

const FLAGS = {
  interface: { type: 'string' },
  address: { type: 'string', multiple: true },
  mode: { type: 'string' },
  'gue-port': { type: 'string' },
  vip: { type: 'string', multiple: true },
  'run-dir': { type: 'string' },
  object: { type: 'string' },
  'keep-mss': { type: 'boolean', default: false },
  'dsr-only': { type: 'boolean', default: false },
} as const;

function addresses(flag: string, values: string[] | undefined): string[] {
  for (const value of values ?? []) {
    if (isIP(value) === 0) throw new UsageError(`--${flag} must be an IPv4 or IPv6 address, not "${value}"`);
  }
  return values ?? [];
}

function formatChecks(results: CheckResult[]): string {
  const lines = results.flatMap((r) => (r.ok ? [`ok       ${r.name}: ${r.detail}`] : [`PROBLEM  ${r.name}: ${r.detail}`, `         fix: ${r.fix}`]));
  const problems = results.filter((r) => !r.ok).length;
  lines.push(problems === 0 ? 'no problems' : `${problems} problem${problems === 1 ? '' : 's'}`);
  return lines.join('\n');
}

/* What the attached program did since attach, by outcome (the counters' names without DECAP_CNT_), or null when nothing is pinned. */
function decapCounters(state: HostState | undefined, runDir: string): Record<string, number> | null {
  if (!state || !existsSync(join(pinDirOf(runDir), 'decap_counters'))) return null;
  const counters = readPinnedDecapCounters(pinDirOf(runDir));
  return Object.fromEntries(Object.entries(counters).map(([name, value]) => [name.replace(/^DECAP_CNT_/, '').toLowerCase(), Number(value)]));
}

function formatMssFit(fit: MssFit | undefined): string[] {
  if (!fit) return ['advmss: left as it is (--keep-mss)'];
  const set = fit.set.map(
    (change) =>
      `advmss ${change.after} on the ${describeRoute(change)} (was ${change.before ?? 'none'}): client segments fit once tunnelled; detach puts back what was there`,
  );
  const failed = fit.failures.map((failure) => `advmss NOT set: ${failure}`);
  return set.length + failed.length > 0 ? [...set, ...failed] : ['advmss: every default route already fits the tunnel'];
}

function formatMssRestore(restores: MssRestore[]): string {
  return restores
    .map(({ change, restored }) =>
      restored
        ? `; advmss of the ${describeRoute(change)} back to ${change.before ?? 'none'}`
        : `; the ${describeRoute(change)} changed since attach (advmss ${change.after} no longer there): left as it is`,
    )
    .join('');
}

function formatCounters(counters: Record<string, number> | null): string {
  if (!counters) return 'counters: none (nothing attached)';
  return `counters since attach: ${Object.entries(counters)
    .map(([name, value]) => `${name} ${value}`)
    .join(', ')}`;
}

/** Returns the exit code: 0, or 1 when check found problems. */
export async function backendHostCommand(argv: string[]): Promise<number> {
  const [verb, ...rest] = argv;
  const command = `backend-host ${verb ?? ''}`.trimEnd();
  const { values, positionals } = parse(rest, FLAGS, command);
  noMoreThan(positionals, verb === 'report' ? 1 : 0, command);
  const runDir = values['run-dir'] ?? DEFAULT_RUN_DIR;
  const vips = addresses('vip', values.vip);
  switch (verb) {
    case 'attach': {
      if (!values.interface) throw new UsageError(`backend-host attach needs --interface\nusage: ${BACKEND_HOST_USAGE}`);
      const tunnelAddresses = addresses('address', values.address);
      if (tunnelAddresses.length === 0)
        throw new UsageError(`backend-host attach needs at least one --address (this host's tunnel endpoint)\nusage: ${BACKEND_HOST_USAGE}`);
      const mode = (values.mode ?? 'xdp') as DecapMode;
      if (mode !== 'xdp' && mode !== 'tc') throw new UsageError(`--mode must be xdp or tc, not "${values.mode}"`);
      const guePort = integer('gue-port', values['gue-port']);
      if (guePort !== undefined && (guePort < 1 || guePort > 65535)) throw new UsageError(`--gue-port must be 1..65535, not ${guePort}`);
      const { state, mss } = attachDecap({
        interface: values.interface,
        mode,
        addresses: tunnelAddresses,
        guePort,
        runDir,
        objectPath: values.object,
        keepMss: values['keep-mss'],
      });
      const results = checkHost({ state, vips });
      emit(values.json, { attached: state, mss: mss ?? null, checks: results }, () =>
        [
          `decapsulation attached to ${state.interface} (${state.mode}, program id ${state.programId}) for ${state.addresses.join(', ')}${state.guePort ? `, GUE port ${state.guePort}` : ', GUE off'}`,
          ...formatMssFit(mss),
          formatChecks(results),
        ].join('\n'),
      );
      return 0;
    }
    case 'detach': {
      const result = detachDecap(runDir);
      emit(values.json, result, () => {
        if (!result.state)
          return `nothing attached by this command (${runDir} has no state)${result.unpinned.length ? `; removed ${result.unpinned.length} pinned maps` : ''}`;
        const where = `${result.state.interface} (${result.state.mode})`;
        const what = result.detached ? `detached from ${where}` : `${where} no longer ran program id ${result.state.programId}: left as it is`;
        return `${what}; removed ${result.unpinned.length} pinned maps${formatMssRestore(result.mss)}`;
      });
      return 0;
    }
    case 'check': {
      const state = readState(runDir);
      const results = checkHost({ state, interface: values.interface, vips, dsrOnly: values['dsr-only'] });
      const counters = decapCounters(state, runDir);
      /* The host beside its checks: what `backend-host report` needs to match it to backends by address. */
      const host = {
        interface: state?.interface ?? values.interface ?? null,
        addresses: state?.addresses ?? addresses('address', values.address),
        decap: { mode: state?.mode ?? 'none', guePort: state?.guePort ?? null },
      };
      emit(values.json, { host, checks: results, counters, checkedAt: Date.now() }, () => `${formatChecks(results)}\n${formatCounters(counters)}`);
      return results.every((r) => r.ok) ? 0 : 1;
    }
    case 'report': {
      const report = readReport(positionals[0] ?? '-');
      const stored = await (await connect(values)).backendHosts.report.mutate(report);
      emit(values.json, stored, () => {
        const problems = stored.problems === 0 ? 'no problems' : `${stored.problems} problem${stored.problems === 1 ? '' : 's'}`;
        return `recorded the check of ${stored.host.addresses.join(', ')} (${problems}); backends at ${stored.host.addresses.length === 1 ? 'that address' : 'those addresses'} show it`;
      });
      return 0;
    }
    default:
      throw new UsageError(`unknown backend-host command "${verb ?? ''}"\nusage: ${BACKEND_HOST_USAGE}`);
  }
}
