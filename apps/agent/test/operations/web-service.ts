/*
 * The service most operation tests work on: WEB (198.18.100.1:80/tcp,
 * maglev, the default TCP check) with backends be(1) (weight 1) and be(2)
 * (weight 3), created through the API as an admin would. Each test file
 * starts its own agent and its own WEB.
 */
import { after, before } from 'node:test';
import { type TestAgent, startTestAgent } from './helpers.js';

export const WEB = '198.18.100.1:80/tcp';
export const be = (i: number) => `198.19.${i}.2:8080`;
export const T = { timeout: 30_000 };

export async function addWebService(t: TestAgent): Promise<void> {
  await t.as('admin').services.create({
    address: '198.18.100.1',
    port: 80,
    protocol: 'tcp',
    algorithm: 'maglev',
    backends: [
      { address: '198.19.1.2', port: 8080 },
      { address: '198.19.2.2', port: 8080, weight: 3 },
    ],
  });
}

/** For a test file: its own agent with WEB, started before its tests and stopped after them; `use` receives it. */
export function withWebServiceAgent(use: (t: TestAgent) => void): void {
  let t: TestAgent | undefined;
  before(async () => {
    t = await startTestAgent();
    await addWebService(t);
    use(t);
  });
  after(() => t?.stop());
}

/** The backend ids a packet can be steered to: the service's live lookup table, read from the maps. */
export function tableBackendIds(t: TestAgent, service: string): Set<number> {
  const maps = t.maps;
  const id = t.agent.serviceDataplaneId(service)!;
  const key = [...maps.services.entries()].find(([, v]) => v.id === id)!;
  const table = maps.lookupTables.lookup(id * 2 + key[1].active_table)!;
  return new Set([...table.slots].filter((slot) => slot !== 0xffff));
}
