/* Runs after every test, passed or failed: the agent stops, the namespaces and pins go. */
import { tearDownFleetLab } from './support/fleet-lab.ts';
import { tearDownLab } from './support/lab.ts';
import { tearDownNodeLab } from './support/node-lab.ts';
import { tearDownPairLab } from './support/pair-lab.ts';

export default async function globalTeardown(): Promise<void> {
  await tearDownLab();
  /* node-bgp.spec.ts, node-pair.spec.ts and fleet.spec.ts take their own labs down; this covers a run that died before they could. */
  await tearDownNodeLab();
  await tearDownPairLab();
  await tearDownFleetLab();
}
