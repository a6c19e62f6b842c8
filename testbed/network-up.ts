// Bringing up one of the namespace networks (fabric, ecmp, ha): a stale one
// of the same prefix goes first, then `bringUp` builds it in its state dir;
// a failure at any step tears down what was made and names the network.
import { mkdirSync } from 'node:fs';

export async function networkUp<T>(network: string, dir: string, down: () => Promise<unknown>, bringUp: () => Promise<T>): Promise<T> {
  await down();
  try {
    mkdirSync(dir, { recursive: true });
    return await bringUp();
  } catch (error) {
    await down().catch(() => {});
    throw new Error(`${network} up failed: ${(error as Error).message}`, { cause: error });
  }
}
