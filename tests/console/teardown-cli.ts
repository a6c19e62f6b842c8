/* The same teardown from a shell (scripts/run-tests.sh traps EXIT with it), for runs killed before Playwright's teardown. */
import { tearDownLab } from './support/lab.ts';

await tearDownLab();
