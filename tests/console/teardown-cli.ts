/* The same teardown from a shell (scripts/run-tests.sh traps EXIT with it), for runs killed before Playwright's teardown. */
import { tearDownFleetLab } from './support/fleet-lab.ts';
import { tearDownLab } from './support/lab.ts';
import { tearDownNodeLab } from './support/node-lab.ts';
import { tearDownPairLab } from './support/pair-lab.ts';

await tearDownLab();
await tearDownNodeLab();
await tearDownPairLab();
await tearDownFleetLab();
