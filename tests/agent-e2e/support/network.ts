/* The agent-e2e suite's own test network: prefix slag, run directory /run/sluice-agtest. */
import { REPO_ROOT, type Network, testNetwork } from '@sluice/testbed/test-network';
import { tagged } from '@sluice/testbed/tag';

export { REPO_ROOT, type Network };
export const PREFIX = tagged('slag');

const network = testNetwork({
  prefix: PREFIX,
  runDir: tagged('/run/sluice-agtest'),
  stateFiles: ['data', 'agent.sock', 'admin.token'],
});
export const setUpNetwork = network.setUp;
export const tearDownNetwork = network.tearDown;
