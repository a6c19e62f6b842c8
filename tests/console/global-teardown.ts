/* Runs after every test, passed or failed: the agent stops, the namespaces and pins go. */
import { tearDownLab } from './support/lab.ts';

export default async function globalTeardown(): Promise<void> {
  await tearDownLab();
}
