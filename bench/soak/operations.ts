/*
 * The soak's operations: what each one does to the running Sluice, and the
 * soak's own model of the desired state, so that every choice is feasible
 * (there is a backend to add, a drained one to make ready again) and no
 * service is ever left without a backend that is ready, up and alive: a
 * service with none drops every new flow, and that is the operator's doing,
 * not a fault to measure.
 */
import { writeFileSync } from 'node:fs';
import type { Random } from './prng.js';

export const ALGORITHMS = ['round-robin', 'weighted-round-robin', 'least-connections', 'source-hash', 'maglev'] as const;
export type Algorithm = (typeof ALGORITHMS)[number];
export type AdminState = 'ready' | 'drain' | 'maint';

export const OPERATION_KINDS = [
  'add',
  'remove',
  'reweight',
  'drain',
  'maintenance',
  'ready',
  'algorithm',
  'agent-restart',
  'config-reload',
  'backend-dies',
] as const;
export type OperationKind = (typeof OPERATION_KINDS)[number];

export interface ServiceModel {
  name: string;
  /** The VIP's port. */
  port: number;
  /** ipv4 or ipv6 backend addresses. */
  family: 4 | 6;
  backendPort: number;
  algorithm: Algorithm;
  /** Present backends by name (be1...). */
  members: Map<string, { state: AdminState; weight: number }>;
}

export interface Operation {
  kind: OperationKind;
  service?: string;
  backend?: string;
  detail: string;
}

/** The backends of `service` that take new flows: ready, in the service, and their server alive. */
export function eligible(service: ServiceModel, dead: ReadonlySet<string>): string[] {
  return [...service.members].filter(([name, m]) => m.state === 'ready' && !dead.has(name)).map(([name]) => name);
}

/**
 * What the chooser may do next: `pending` starts as every kind in a shuffled
 * order, and the first feasible pending kind is taken (so even a short soak
 * tries each kind once, as soon as it can); once none is pending, kinds are
 * drawn uniformly and an infeasible draw is drawn again.
 */
export interface ChoiceContext {
  pending: OperationKind[];
  services: ServiceModel[];
  allBackends: string[];
  dead: ReadonlySet<string>;
  /** False while the running agent is younger than the soak's minimum agent life. */
  mayRestartAgent: boolean;
}

export function chooseOperation(random: Random, context: ChoiceContext): Operation {
  for (const [i, kind] of context.pending.entries()) {
    const op = tryKind(kind, random, context);
    if (op) {
      context.pending.splice(i, 1);
      return op;
    }
  }
  for (let attempt = 0; attempt < 100; attempt++) {
    const op = tryKind(random.pick(OPERATION_KINDS), random, context);
    if (op) return op;
  }
  return { kind: 'reweight', ...reweight(random, context.services) };
}

export function shuffledKinds(random: Random): OperationKind[] {
  const kinds = [...OPERATION_KINDS];
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = random.int(0, i);
    [kinds[i], kinds[j]] = [kinds[j]!, kinds[i]!];
  }
  return kinds;
}

function reweight(random: Random, services: ServiceModel[]) {
  const service = random.pick(services);
  const backend = random.pick([...service.members.keys()]);
  return { service: service.name, backend, detail: `weight ${random.int(1, 10)}` };
}

/** Would every service keep a ready, alive backend if `backend` stopped taking new flows (in `only`, or everywhere)? */
function keepsServing(services: ServiceModel[], dead: ReadonlySet<string>, backend: string, only?: ServiceModel): boolean {
  return services.every((s) => (only && s !== only) || eligible(s, dead).filter((b) => b !== backend).length >= 1);
}

function tryKind(kind: OperationKind, random: Random, { services, allBackends, dead, mayRestartAgent }: ChoiceContext): Operation | null {
  const service = random.pick(services);
  const members = [...service.members];
  switch (kind) {
    case 'add': {
      const absent = allBackends.filter((b) => !service.members.has(b) && !dead.has(b));
      if (!absent.length) return null;
      return { kind, service: service.name, backend: random.pick(absent), detail: `weight ${random.int(1, 10)}` };
    }
    case 'remove': {
      const removable = members.filter(([b]) => members.length > 2 && keepsServing(services, dead, b, service)).map(([b]) => b);
      if (!removable.length) return null;
      return { kind, service: service.name, backend: random.pick(removable), detail: 'drain, wait for 0 active flows (at most 5 s), remove with force' };
    }
    case 'reweight':
      return { kind, ...reweight(random, services) };
    case 'drain':
    case 'maintenance': {
      const ready = members.filter(([b, m]) => m.state === 'ready' && keepsServing(services, dead, b, service)).map(([b]) => b);
      if (!ready.length) return null;
      return { kind, service: service.name, backend: random.pick(ready), detail: kind === 'drain' ? 'no drain timeout' : 'maint' };
    }
    case 'ready': {
      const parked = members.filter(([, m]) => m.state !== 'ready').map(([b]) => b);
      if (!parked.length) return null;
      return { kind, service: service.name, backend: random.pick(parked), detail: 'back to ready' };
    }
    case 'algorithm': {
      const next = random.pick(ALGORITHMS.filter((a) => a !== service.algorithm));
      return { kind, service: service.name, detail: `${service.algorithm} -> ${next}` };
    }
    case 'agent-restart':
      return mayRestartAgent ? { kind, detail: 'SIGKILL, then start again' } : null;
    case 'config-reload':
      return { kind, ...reweight(random, services), detail: `config file with a new weight ${random.int(1, 10)}, then SIGHUP` };
    case 'backend-dies': {
      if (dead.size) return null;
      const victims = allBackends.filter((b) => keepsServing(services, dead, b));
      if (!victims.length) return null;
      return { kind, backend: random.pick(victims), detail: `server SIGKILLed for ${random.int(2, 6)} s, then started again` };
    }
  }
}

/** The number in a detail such as "weight 7" or "for 4 s". */
export function numberIn(detail: string): number {
  const match = /(\d+)/.exec(detail);
  if (!match) throw new Error(`no number in "${detail}"`);
  return Number(match[1]);
}

export function writeJson(file: string, value: unknown): void {
  writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}
