/* Brings the lab up once for the whole run; if that fails half-way, takes down what it made. */
import { bringUpLab, tearDownLab } from './support/lab.ts';

export default async function globalSetup(): Promise<void> {
  try {
    await bringUpLab();
  } catch (error) {
    await tearDownLab();
    throw error;
  }
}
