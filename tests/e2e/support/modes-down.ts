/* Removes the modes test network (support/modes-fabric.ts): run by its exit guard, or by hand after a killed run. */
import { modesNetworkDown } from './modes-fabric.ts';

await modesNetworkDown();
