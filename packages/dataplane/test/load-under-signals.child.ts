/*
 * Run by signals.test.ts under `node --cpu-prof --cpu-prof-interval 100`:
 * the profiler signals this thread every 100 µs through the whole load.
 * Prints one JSON line (loaded or the error); not a test file itself.
 *
 *   node --import tsx --cpu-prof ... load-under-signals.child.ts <object>
 */
import { loadDataplane, verifiedInstructionsOfFd } from '../src/index.js';
import { SMALL_MAPS } from './helpers.js';

const [objectPath] = process.argv.slice(2) as [string];
try {
  const dp = loadDataplane({ objectPath, maxEntries: SMALL_MAPS });
  console.log(JSON.stringify({ loaded: true, verifiedInstructions: verifiedInstructionsOfFd(dp.programFd) }));
  dp.close();
} catch (error) {
  console.log(JSON.stringify({ loaded: false, error: (error as Error).message.split('\n')[0] }));
}
