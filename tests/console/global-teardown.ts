/* Runs after every test, passed or failed: the agent stops, the namespaces and pins go. */
import { tearDownLab } from './support/lab.ts';
import { tearDownNodeLab } from './support/node-lab.ts';

export default async function globalTeardown(): Promise<void> {
  await tearDownLab();
  /* node-bgp.spec.ts takes its own lab down; this covers a run that died before it could. */
  await tearDownNodeLab();
}
