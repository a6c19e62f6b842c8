/*
 * Makes the data plane's maps match desired state, idempotently. The only
 * writer of configuration maps. Order of writes is chosen so that a packet
 * never sees an inconsistent view:
 *   1. a new or returning backend's entry is written before any table names it;
 *   2. a service's table goes into the idle copy, then the service flips to it
 *      in one hash-map update (the kernel swaps the element whole);
 *   3. a backend loses its flows (flags cleared) only after no table names it;
 *   4. a removed service stops matching before its backends are cleared;
 *   5. a backend's endpoint names its service (for replies) from before any
 *      table names the backend until the backend is freed.
 *   6. a removed backend is retired, not freed: its flags are cleared (no flow
 *      follows it) but its id, its endpoint's owner pair and its service's VIP
 *      stay until no flow names it, so that a reply still in flight is
 *      translated and no new backend takes the id while flows name it. The
 *      agent frees it (freeRetired) once the end-flows job for it finished.
 * A change applies only the services it touched (applyServices): each
 * service's maps are its own but for the VIP counts and the limits, which
 * are checked on the change against what the rest already holds. apply()
 * reconciles everything (at start, after a failure, and periodically).
 */
import { createHash } from 'node:crypto';
import { type DataplaneConfig, type Protocol, type ServiceSpec, formatEndpoint, serviceName } from '@sluice/api';
import type { DataplaneMaps } from '@sluice/dataplane';
import { type Backend, type ServiceKey, SluiceBackendFlags } from '@sluice/dataplane';
import { bytesToAddress } from '@sluice/dataplane';
import { DEFAULT_HASH_SEED, buildLookupTable, checkHashSeed, NO_BACKEND } from '@sluice/dataplane/lookup';
import { type CapacityUse, capacityProblem } from './capacity.js';
import { IdAllocator } from './id-allocator.js';
import { EndpointOwnersWriter, MAX_SERVICES_PER_ENDPOINT } from './endpoint-owners.js';
import { VipFilterWriter } from './vip-filter.js';
import { ALGORITHM_CODE, FREE_BACKEND, MODE_CODE, ZERO_COUNTERS, backendEntry, serviceKeyOf, vipKeyOf, zeroBackendErrors } from './map-entries.js';

/** Lookup tables per service: the live one and the one being written. */
const TABLE_SLOTS = 2;

export interface ReconcilerLimits {
  maxServices: number;
  maxBackends: number;
  maxBackendsPerService: number;
  tableSize: number;
}

/** Health as the health checker sees it; a backend is up unless it says otherwise. */
export type HealthView = (service: string, backend: string) => boolean;

export class ReconcileError extends Error {
  constructor(
    readonly code: 'LIMIT_REACHED' | 'INVALID',
    message: string,
  ) {
    super(message);
    this.name = 'ReconcileError';
  }
}

interface AppliedBackend {
  id: number;
  entry: Backend;
  /** A live table has named it, so flows may (unknown after adoption: assumed). */
  named: boolean;
  /** Its address:port with the service's protocol: its key in backend_endpoints. */
  endpointKey: ServiceKey;
}

interface RetiredBackend {
  applied: AppliedBackend;
  serviceId: number;
  /** "address:port/protocol", for the per-endpoint limit. */
  endpoint: string;
}

interface AppliedService {
  id: number;
  name: string;
  key: ServiceKey;
  address: string;
  protocol: Protocol;
  algorithm: number;
  /** service_config.mode: the mode of the service's new flows (its flows keep their own). */
  mode: number;
  activeTable: number;
  sequenceLength: number;
  /** New connections per client per second (service_config.client_rate; 0: none). */
  clientRate: number;
  /**
   * A digest of the live table's content, to skip rewriting an identical one
   * (not the table: 128 KB per service, 32 MB at 256 services, issue 14).
   */
  tableDigest: string | undefined;
  /** What the live table was built from, to skip rebuilding it (Maglev costs milliseconds). */
  tableInput: string | undefined;
  /**
   * What the service was last applied from (its spec and its backends'
   * health), so that a change to one service leaves the others alone; unset
   * while an apply of it is under way or after adoption.
   */
  input: string | undefined;
  /** The spec last applied in full (what applyServices leaves as it is); unset after adoption. */
  spec: ServiceSpec | undefined;
  backends: Map<string, AppliedBackend>;
}

export interface ReconcileReport {
  servicesWritten: string[];
  servicesRemoved: string[];
  tablesWritten: number;
  backendsAdded: number;
  backendsRemoved: number;
}

export class Reconciler {
  private readonly applied = new Map<string, AppliedService>();
  private readonly serviceIds: IdAllocator;
  private readonly backendIds: IdAllocator;
  private readonly endpointOwners: EndpointOwnersWriter;
  /** Removed backends whose flows may still name them, by id (rule 6). */
  private readonly retired = new Map<number, RetiredBackend>();
  /** Removed services whose id and VIP wait for their retired backends: retired backends left, by service id. */
  private readonly retiredServices = new Map<number, number>();
  /** The VIP counts last written, to skip rewriting the same ones (unset after adoption). */
  private vipCountsWritten: string | undefined;
  private readonly vipFilter: VipFilterWriter;
  /** The last apply (or applyServices) succeeded: every applied service has its spec, so applyServices may run. */
  private whole = false;

  /**
   * `hashSeed` is the one the data plane was loaded with (its flow_hash_seed
   * setting, lookup/seed.ts): Maglev and source-hash tables are built with it
   * so that they match the program's flow hash and every node of the fleet.
   */
  constructor(
    private readonly maps: DataplaneMaps,
    readonly limits: ReconcilerLimits,
    readonly hashSeed: number = DEFAULT_HASH_SEED,
  ) {
    checkHashSeed(hashSeed);
    this.serviceIds = new IdAllocator(limits.maxServices, 'service');
    this.backendIds = new IdAllocator(limits.maxBackends, 'backend');
    this.endpointOwners = new EndpointOwnersWriter(maps.backendEndpoints, maps.endpointFilter, maps.endpointSlots);
    this.vipFilter = new VipFilterWriter(maps.vipFilter);
  }

  /** Limits as the loaded maps allow them (their sizes may be overridden at load). */
  static limitsOf(maps: DataplaneMaps, maxBackendsPerService: number): ReconcilerLimits {
    return {
      maxServices: Math.min(maps.services.maxEntries, maps.lookupTables.maxEntries / TABLE_SLOTS),
      maxBackends: Math.min(maps.backends.maxEntries, NO_BACKEND),
      maxBackendsPerService,
      tableSize: maps.lookupTables.valueBytes / 2,
    };
  }

  /**
   * Learns ids, tables and backends from the maps of a running data plane,
   * so that a restarted agent carries on where the last one stopped instead
   * of resetting anything.
   */
  adopt(): void {
    const backendsByService = new Map<number, Map<string, AppliedBackend>>();
    for (const [id, entry] of this.maps.backends.entries()) {
      if (entry.family === 0) continue;
      this.backendIds.reserve(id);
      const endpoint = formatEndpoint(bytesToAddress(entry.family, entry.addr), entry.port);
      const group = backendsByService.get(entry.service_id) ?? new Map<string, AppliedBackend>();
      /* The protocol is the service's: filled in below. */
      group.set(endpoint, { id, entry, named: true, endpointKey: { addr: entry.addr, port: entry.port, protocol: 0, family: entry.family } });
      backendsByService.set(entry.service_id, group);
    }
    for (const [key, config] of this.maps.services.entries()) {
      const address = bytesToAddress(key.family, key.addr);
      const protocol = key.protocol === 6 ? 'tcp' : 'udp';
      const name = serviceName({ address, port: key.port, protocol });
      this.serviceIds.reserve(config.id);
      const live = this.maps.lookupTables.lookupBytes(arrayKey(config.id * TABLE_SLOTS + config.active_table));
      const backends = backendsByService.get(config.id) ?? new Map<string, AppliedBackend>();
      for (const backend of backends.values()) backend.endpointKey.protocol = key.protocol;
      this.applied.set(name, {
        id: config.id,
        name,
        key,
        address,
        protocol,
        algorithm: config.algorithm,
        mode: config.mode,
        activeTable: config.active_table,
        sequenceLength: config.sequence_length,
        clientRate: config.client_rate,
        tableDigest: live && digestOf(live),
        tableInput: undefined,
        input: undefined,
        spec: undefined,
        backends,
      });
    }
    /* Backends of a service removed before the restart were retired: their service's id and VIP wait for them. */
    const live = new Set([...this.applied.values()].map((service) => service.id));
    for (const [serviceId, backends] of backendsByService) {
      if (live.has(serviceId)) continue;
      this.serviceIds.reserve(serviceId);
      this.retiredServices.set(serviceId, backends.size);
      for (const [endpoint, applied] of backends) {
        const vip = this.maps.serviceVips.lookup(serviceId);
        applied.endpointKey.protocol = vip?.protocol ?? 0;
        this.retired.set(applied.id, { applied, serviceId, endpoint: `${endpoint}/${vip?.protocol === 6 ? 'tcp' : 'udp'}` });
      }
    }
    this.endpointOwners.adopt();
  }

  /** Ids of removed backends not freed yet: the agent ends their flows, then frees them. */
  retiredBackendIds(): number[] {
    return [...this.retired.keys()];
  }

  /**
   * Frees retired backends among `ids` (others are ignored): call only once
   * no flow names them, i.e. after the end-flows job for them finished. A
   * removed service's id and VIP go with its last one. Returns the ids freed.
   */
  freeRetired(ids: Iterable<number>): number[] {
    const freed: number[] = [];
    for (const id of ids) {
      const retired = this.retired.get(id);
      if (!retired) continue;
      this.freeBackend(retired.applied);
      this.retired.delete(id);
      freed.push(id);
      const left = this.retiredServices.get(retired.serviceId);
      if (left === undefined) continue;
      if (left > 1) this.retiredServices.set(retired.serviceId, left - 1);
      else {
        this.retiredServices.delete(retired.serviceId);
        this.releaseServiceId(retired.serviceId);
      }
    }
    return freed;
  }

  /** The service ids and backend ids in use, by name, for the API and tests. */
  ids(): Map<string, { id: number; backends: Map<string, number> }> {
    const result = new Map<string, { id: number; backends: Map<string, number> }>();
    for (const [name, service] of this.applied) {
      const backends = new Map([...service.backends].map(([endpoint, b]) => [endpoint, b.id] as const));
      result.set(name, { id: service.id, backends });
    }
    return result;
  }

  /** The applied services' VIPs (each once). */
  vips(): Set<string> {
    return new Set([...this.applied.values()].map((service) => service.address));
  }

  /** One service's id, without building all of ids() (the API's views ask for each backend they show). */
  serviceIdOf(service: string): number | undefined {
    return this.applied.get(service)?.id;
  }

  /** The service's forwarding mode as applied (enum sluice_forwarding_mode), or undefined if it is not in the maps. */
  modeOf(service: string): number | undefined {
    return this.applied.get(service)?.mode;
  }

  backendIdOf(service: string, endpoint: string): number | undefined {
    return this.applied.get(service)?.backends.get(endpoint)?.id;
  }

  /**
   * Whether the maps let this backend keep and take flows (its health as the
   * data plane has it, also after adoption); undefined if the maps do not
   * have it yet.
   */
  carriesFlows(service: string, endpoint: string): boolean | undefined {
    const applied = this.applied.get(service)?.backends.get(endpoint);
    if (!applied || applied.entry.family === 0) return undefined;
    return (applied.entry.flags & SluiceBackendFlags.BACKEND_F_KEEP_FLOWS) !== 0;
  }

  apply(config: DataplaneConfig, isUp: HealthView = () => true): ReconcileReport {
    const desired = new Map(config.services.map((service) => [serviceName(service), service]));
    this.whole = false;
    this.checkLimits(desired);

    const report = emptyReport();
    for (const [name, service] of this.applied) {
      if (!desired.has(name)) this.removeService(service, report);
    }
    /* A new VIP's bit before its service matches (else its first packets pass); a removed one's after its service stopped matching. */
    this.vipFilter.write([...this.applied.values(), ...desired.values()].map((service) => vipKeyOf(service.address).addr));
    for (const [name, spec] of desired) this.applyService(name, spec, isUp, report);
    this.writeVipCounts();
    this.whole = true;
    return report;
  }

  /** Whether applyServices may run: the last apply of the whole state, and every change since, succeeded. */
  get canApplyServices(): boolean {
    return this.whole;
  }

  /**
   * Applies only the services in `changed` (a spec, or undefined for a
   * service that is gone) and leaves every other one as applied: the maps end
   * as apply() of the whole state would leave them (the tests compare both).
   * Services are applied in name order, as apply() of a desired state read
   * from the store applies them. Needs canApplyServices.
   */
  applyServices(changed: ReadonlyMap<string, ServiceSpec | undefined>, isUp: HealthView = () => true): ReconcileReport {
    if (!this.whole) throw new Error('applyServices needs a whole apply() first (or again after a failed one)');
    this.whole = false;
    if (!this.changeFits(changed)) this.checkLimits(this.desiredWith(changed));

    const report = emptyReport();
    let servicesCameOrWent = false;
    const names = [...changed.keys()].sort();
    for (const name of names) {
      const service = this.applied.get(name);
      if (service && !changed.get(name)) {
        this.removeService(service, report);
        servicesCameOrWent = true;
      }
    }
    /* As apply() orders it: a new VIP's bit before its service matches, a removed one's after its service stopped matching. */
    const incoming = names.flatMap((name) => {
      const spec = changed.get(name);
      return spec ? [[name, spec] as const] : [];
    });
    for (const [name] of incoming) if (!this.applied.has(name)) servicesCameOrWent = true;
    /* A name holds its VIP: while no service comes or goes the filter's addresses are the same (it costs 0.2 ms at 256 services). */
    if (servicesCameOrWent)
      this.vipFilter.write([...this.applied.values(), ...incoming.map(([, spec]) => spec)].map((service) => vipKeyOf(service.address).addr));
    for (const [name, spec] of incoming) this.applyService(name, spec, isUp, report);
    if (servicesCameOrWent) this.writeVipCounts();
    this.whole = true;
    return report;
  }

  /** The whole desired state: every applied service's spec with `changed` over it. */
  private desiredWith(changed: ReadonlyMap<string, ServiceSpec | undefined>): Map<string, ServiceSpec> {
    const desired = new Map<string, ServiceSpec>();
    for (const [name, service] of this.applied) if (!changed.has(name)) desired.set(name, service.spec!);
    for (const [name, spec] of changed) if (spec) desired.set(name, spec);
    return desired;
  }

  /**
   * checkLimits' rules on a change alone, for services that fit already: true
   * if the state after it surely fits. False sends the change through
   * checkLimits on the whole state, which refuses it in its own words.
   */
  private changeFits(changed: ReadonlyMap<string, ServiceSpec | undefined>): boolean {
    let services = this.applied.size;
    let backends = 0;
    for (const service of this.applied.values()) backends += service.backends.size;
    let kept = this.retired.size;
    const newPairs = new Map<string, number>();
    for (const [name, spec] of changed) {
      const service = this.applied.get(name);
      if (service) {
        services--;
        backends -= service.backends.size;
      }
      if (!spec) {
        if (service) kept += service.backends.size;
        continue;
      }
      services++;
      backends += spec.backends.length;
      if (spec.backends.length > this.limits.maxBackendsPerService) return false;
      const wanted = new Set<string>();
      for (const b of spec.backends) {
        const endpoint = formatEndpoint(b.address, b.port);
        wanted.add(endpoint);
        if (service?.backends.has(endpoint)) continue;
        /* A pair new to its endpoint: with the pairs there (live and retired), and the change's other new ones. */
        const key = serviceKeyOf({ ...b, protocol: spec.protocol });
        const id = `${endpoint}/${spec.protocol}`;
        const pairs = (newPairs.get(id) ?? this.endpointOwners.pairCount(key)) + 1;
        if (pairs > MAX_SERVICES_PER_ENDPOINT) return false;
        newPairs.set(id, pairs);
      }
      if (service) for (const endpoint of service.backends.keys()) if (!wanted.has(endpoint)) kept++;
    }
    if (capacityProblem(this.limits, { services, backends })) return false;
    return backends + kept <= this.limits.maxBackends;
  }

  /** Refuses, before writing anything, a state the maps cannot hold. */
  private checkLimits(desired: Map<string, ServiceSpec>): void {
    /* Defensive: the operations check each change first, with the same function and so the same words. */
    let backends = 0;
    let largestService: CapacityUse['largestService'];
    for (const [name, spec] of desired) {
      backends += spec.backends.length;
      if (!largestService || spec.backends.length > largestService.backends) largestService = { name, backends: spec.backends.length };
    }
    const problem = capacityProblem(this.limits, { services: desired.size, backends, largestService });
    if (problem) throw new ReconcileError('LIMIT_REACHED', problem.message);
    const { maxBackends } = this.limits;
    /* Ids of backends being removed, or retired, are free again only once their flows are gone (rule 6). */
    let kept = this.retired.size;
    for (const [name, service] of this.applied) {
      const spec = desired.get(name);
      if (!spec) continue;
      const wanted = new Set(spec.backends.map((b) => formatEndpoint(b.address, b.port)));
      for (const endpoint of service.backends.keys()) if (!wanted.has(endpoint)) kept++;
    }
    /* A rule only the reconciler can see: the ids that removed backends still hold. */
    if (backends + kept > maxBackends)
      throw new ReconcileError(
        'LIMIT_REACHED',
        `${backends} backends, with ${kept} removed ones whose flows are still being ended, exceed the limit of ${maxBackends}; retry once their flows are gone`,
      );
    this.checkServicesPerEndpoint(desired);
  }

  /**
   * A reply finds its flow among the services of the backend endpoint it
   * comes from: a bounded few. Endpoints are counted by their text
   * ("198.19.1.2:8080/tcp"): the API's schemas make addresses canonical, and
   * this runs on every change, where building each map key cost a tenth of it.
   */
  private checkServicesPerEndpoint(desired: Map<string, ServiceSpec>): void {
    const services = new Map<string, Set<string>>();
    const count = (name: string, endpoint: string) => {
      const names = services.get(endpoint) ?? new Set<string>();
      names.add(name);
      services.set(endpoint, names);
    };
    for (const [name, spec] of desired) {
      for (const b of spec.backends) count(name, `${formatEndpoint(b.address, b.port)}/${spec.protocol}`);
    }
    /* Pairs being removed by this apply still hold their place while it runs, and retired ones until freed. */
    for (const [name, service] of this.applied) {
      for (const endpoint of service.backends.keys()) count(name, `${endpoint}/${service.protocol}`);
    }
    for (const [id, retired] of this.retired) count(`a removed backend still ending its flows (id ${id})`, retired.endpoint);
    for (const [endpoint, names] of services) {
      if (names.size > MAX_SERVICES_PER_ENDPOINT)
        throw new ReconcileError(
          'LIMIT_REACHED',
          `backend ${endpoint} would serve ${names.size} services (${[...names].join(', ')}); one backend endpoint serves at most ${MAX_SERVICES_PER_ENDPOINT}`,
        );
    }
  }

  private applyService(name: string, spec: ServiceSpec, isUp: HealthView, report: ReconcileReport): void {
    let service = this.applied.get(name);
    const key = serviceKeyOf(spec);
    if (!service) {
      const id = this.serviceIds.allocate();
      service = {
        id,
        name,
        key,
        address: spec.address,
        protocol: spec.protocol,
        algorithm: -1,
        mode: -1,
        activeTable: 1,
        sequenceLength: 0,
        clientRate: 0,
        tableDigest: undefined,
        tableInput: undefined,
        input: undefined,
        spec: undefined,
        backends: new Map(),
      };
      this.applied.set(name, service);
      this.maps.rrCursors.update(id, 0n);
      this.maps.serviceCounters.updateAllCpus(id, ZERO_COUNTERS);
    }
    const wanted = new Map(spec.backends.map((b) => [formatEndpoint(b.address, b.port), b] as const));
    const up = [...wanted.keys()].map((endpoint) => isUp(name, endpoint));
    const input = JSON.stringify([spec, up]);
    if (service.input === input) return;
    service.input = undefined;
    this.maps.serviceVips.update(service.id, key);

    const eligible: { id: number; key: string; weight: number }[] = [];
    const eligibleApplied: AppliedBackend[] = [];
    const losingFlows: { applied: AppliedBackend; entry: Backend }[] = [];

    /* 1. Backends that keep or gain flows are written before any table names them. */
    let index = 0;
    for (const [endpoint, backend] of wanted) {
      const keepsFlows = up[index++]!;
      let applied = service.backends.get(endpoint);
      if (!applied) {
        const id = this.backendIds.allocate();
        applied = { id, entry: FREE_BACKEND, named: false, endpointKey: serviceKeyOf({ ...backend, protocol: spec.protocol }) };
        service.backends.set(endpoint, applied);
        this.endpointOwners.add(applied.endpointKey, service.id, id);
        this.maps.backendActive.update(id, 0n);
        this.maps.backendCounters.updateAllCpus(id, ZERO_COUNTERS);
        this.maps.backendErrors.updateAllCpus(id, zeroBackendErrors());
        report.backendsAdded++;
      }
      const entry = backendEntry(backend, service.id, keepsFlows);
      if (keepsFlows) this.writeBackend(applied, entry);
      else losingFlows.push({ applied, entry });
      if (backend.state === 'ready' && keepsFlows) {
        eligible.push({ id: applied.id, key: endpoint, weight: backend.weight });
        eligibleApplied.push(applied);
      }
    }

    /* 2. The table and the flip. */
    const tableInput = JSON.stringify([spec.algorithm, eligible]);
    const unchanged = service.tableDigest !== undefined && service.tableInput === tableInput;
    const built = unchanged ? undefined : buildLookupTable(spec.algorithm, eligible, this.limits.tableSize, undefined, this.hashSeed);
    const tableDigest = built ? digestOf(built.table) : service.tableDigest;
    const sequenceLength = built ? built.sequenceLength : service.sequenceLength;
    const algorithm = ALGORITHM_CODE[spec.algorithm];
    /* A table is built whenever there is no digest, so one that changed is at hand. */
    const tableChanged = service.tableDigest === undefined || tableDigest !== service.tableDigest;
    const clientRate = spec.clientRate ?? 0;
    const mode = MODE_CODE[spec.mode];
    if (
      tableChanged ||
      algorithm !== service.algorithm ||
      mode !== service.mode ||
      sequenceLength !== service.sequenceLength ||
      clientRate !== service.clientRate
    ) {
      let activeTable = service.activeTable;
      if (tableChanged) {
        activeTable = 1 - service.activeTable;
        this.maps.lookupTables.update(service.id * TABLE_SLOTS + activeTable, { slots: built!.table });
        report.tablesWritten++;
      }
      this.maps.services.update(key, {
        id: service.id,
        sequence_length: sequenceLength,
        algorithm,
        mode,
        active_table: activeTable,
        flags: 0,
        client_rate: clientRate,
      });
      Object.assign(service, { tableDigest, activeTable, algorithm, mode, sequenceLength, clientRate });
      report.servicesWritten.push(name);
    }
    service.tableInput = tableInput;
    for (const applied of eligibleApplied) applied.named = true;

    /* 3. Down backends lose their flows only now that no table names them. */
    for (const { applied, entry } of losingFlows) this.writeBackend(applied, entry);
    for (const [endpoint, applied] of service.backends) {
      if (wanted.has(endpoint)) continue;
      this.retireBackend(applied, service.id, `${endpoint}/${service.protocol}`);
      service.backends.delete(endpoint);
      report.backendsRemoved++;
    }
    service.input = input;
    service.spec = spec;
  }

  private removeService(service: AppliedService, report: ReconcileReport): void {
    this.maps.services.delete(service.key);
    let retiring = 0;
    for (const [endpoint, applied] of service.backends) {
      if (this.retireBackend(applied, service.id, `${endpoint}/${service.protocol}`)) retiring++;
      report.backendsRemoved++;
    }
    this.applied.delete(service.name);
    /* Replies of its retired backends' flows still need its VIP: the id and VIP go with the last of them. */
    if (retiring > 0) this.retiredServices.set(service.id, retiring);
    else this.releaseServiceId(service.id);
    report.servicesRemoved.push(service.name);
  }

  private releaseServiceId(id: number): void {
    this.maps.serviceVips.update(id, { addr: Buffer.alloc(16), port: 0, protocol: 0, family: 0 });
    this.serviceIds.release(id);
  }

  /**
   * Rule 6: no flow follows the backend any more (flags cleared: the next
   * packet of each is steered anew), but replies still find their flows.
   * A backend no live table ever named (e.g. written by an apply that failed
   * before its flip) has no flow: it is freed at once. Whether it retired.
   */
  private retireBackend(applied: AppliedBackend, serviceId: number, endpoint: string): boolean {
    if (applied.entry.family === 0 || !applied.named) {
      this.freeBackend(applied);
      return false;
    }
    this.writeBackend(applied, { ...applied.entry, flags: 0 });
    this.retired.set(applied.id, { applied, serviceId, endpoint });
    return true;
  }

  /** Clears flags first so no packet follows the entry while it is zeroed. */
  private freeBackend(applied: AppliedBackend): void {
    this.maps.backends.update(applied.id, { ...applied.entry, flags: 0 });
    this.maps.backends.update(applied.id, FREE_BACKEND);
    this.endpointOwners.remove(applied.endpointKey, applied.id);
    this.maps.backendActive.update(applied.id, 0n);
    this.backendIds.release(applied.id);
  }

  private writeBackend(applied: AppliedBackend, entry: Backend): void {
    if (sameBackend(applied.entry, entry)) return;
    this.maps.backends.update(applied.id, entry);
    applied.entry = entry;
  }

  /** vips holds, per VIP address, how many services use it. */
  private writeVipCounts(): void {
    const counts = new Map<string, number>();
    for (const service of this.applied.values()) counts.set(service.address, (counts.get(service.address) ?? 0) + 1);
    const written = JSON.stringify([...counts]);
    if (written === this.vipCountsWritten) return;
    this.vipCountsWritten = undefined;
    for (const [key] of this.maps.vips.entries()) {
      const address = bytesToAddress(key.family, key.addr);
      if (!counts.has(address)) this.maps.vips.delete(key);
    }
    for (const [address, count] of counts) this.maps.vips.update(vipKeyOf(address), count);
    this.vipCountsWritten = written;
  }
}

function emptyReport(): ReconcileReport {
  return { servicesWritten: [], servicesRemoved: [], tablesWritten: 0, backendsAdded: 0, backendsRemoved: 0 };
}

/**
 * A table's content in 20 bytes: two different tables never meet the same
 * service by chance. A Uint16Array is hashed as its bytes in host order, as
 * the map holds them, so an adopted table's raw value needs no decoding.
 */
function digestOf(table: Uint16Array | Buffer): string {
  return createHash('sha1').update(table).digest('base64');
}

/** An array map's key (u32, host order), for its raw lookups. */
function arrayKey(index: number): Buffer {
  const key = Buffer.alloc(4);
  new Uint32Array(key.buffer, key.byteOffset, 1)[0] = index;
  return key;
}

function sameBackend(a: Backend, b: Backend): boolean {
  return a.addr.equals(b.addr) && a.port === b.port && a.family === b.family && a.flags === b.flags && a.service_id === b.service_id && a.weight === b.weight;
}
