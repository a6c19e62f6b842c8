/* The e2e suite's own test network: prefix sle2e, run directory /run/sluice-e2e. */
import { REPO_ROOT, type Network, testNetwork } from '@sluice/testbed/test-network';
import { tagged } from '@sluice/testbed/tag';

export { REPO_ROOT, type Network };
export const PREFIX = tagged('sle2e');

const network = testNetwork({ prefix: PREFIX, runDir: tagged('/run/sluice-e2e') });
export const setUpNetwork = network.setUp;
export const tearDownNetwork = network.tearDown;
