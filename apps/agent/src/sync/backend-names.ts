/*
 * A flow's backend as the pair agrees on it: "service endpoint" names, since
 * each agent numbers its services and backends itself. Built from the
 * reconciler's placement and rebuilt when a name or id is not found (a
 * change since), at most once per REBUILD_MS so a stream of unknown names
 * cannot turn every record into a rebuild.
 */
export type Placement = Map<string, { id: number; backends: Map<string, number> }>;

const REBUILD_MS = 250;

export class BackendNames {
  #byId = new Map<number, { name: string; serviceId: number }>();
  #byName = new Map<string, { serviceId: number; backendId: number }>();
  #builtAt = -Infinity;

  constructor(private readonly placement: () => Placement) {}

  #rebuild(force = false): void {
    const now = performance.now();
    if (!force && now - this.#builtAt < REBUILD_MS) return;
    this.#builtAt = now;
    this.#byId.clear();
    this.#byName.clear();
    for (const [service, { id: serviceId, backends }] of this.placement())
      for (const [endpoint, backendId] of backends) {
        const name = `${service} ${endpoint}`;
        this.#byId.set(backendId, { name, serviceId });
        this.#byName.set(name, { serviceId, backendId });
      }
  }

  /** The name of backend `backendId` of service `serviceId`, or undefined (freed or reused since). */
  nameOf(backendId: number, serviceId: number): string | undefined {
    let found = this.#byId.get(backendId);
    if (found?.serviceId !== serviceId) {
      this.#rebuild();
      found = this.#byId.get(backendId);
    }
    return found?.serviceId === serviceId ? found.name : undefined;
  }

  /** This node's ids for a name, or undefined (the service or backend is not here). */
  idsOf(name: string): { serviceId: number; backendId: number } | undefined {
    if (!this.#byName.has(name)) this.#rebuild();
    return this.#byName.get(name);
  }

  /** After a start or a resync: the placement may have changed entirely. */
  refresh(): void {
    this.#rebuild(true);
  }
}
