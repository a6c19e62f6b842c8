/* The agent-e2e suite's own test network: prefix slag, run directory /run/sluice-agtest. */
import { REPO_ROOT, type Network, testNetwork } from '../../support/test-network.ts';

export { REPO_ROOT, type Network };
export const PREFIX = 'slag';

const network = testNetwork({
  prefix: PREFIX,
  runDir: '/run/sluice-agtest',
  stateFiles: ['data', 'agent.sock', 'admin.token'],
});
export const setUpNetwork = network.setUp;
export const tearDownNetwork = network.tearDown;
