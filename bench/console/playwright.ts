/*
 * Playwright's Chromium launcher from apps/web's @playwright/test (the one
 * package that owns the console's tooling), reached by path as
 * tests/console does. Its declarations resolve only from inside the pnpm
 * store, so the little the bench uses is typed here.
 */
// @ts-expect-error TS7016: the ESM entry has no declaration file of its own
import * as playwright from '../../apps/web/node_modules/@playwright/test/index.mjs';

export interface Locator {
  first(): Locator;
  filter(options: { hasText: string }): Locator;
  fill(value: string): Promise<void>;
  click(): Promise<void>;
  waitFor(): Promise<void>;
  textContent(): Promise<string | null>;
  getAttribute(name: string): Promise<string | null>;
}

export interface Page {
  goto(url: string, options?: { waitUntil?: 'commit' | 'load' | 'domcontentloaded' }): Promise<unknown>;
  getByLabel(text: string): Locator;
  getByRole(role: string, options: { name: string }): Locator;
  getByTestId(id: string): Locator;
  locator(selector: string): Locator;
  evaluate<R>(fn: () => R): Promise<R>;
  waitForFunction<A>(fn: (arg: A) => unknown, arg: A, options: { timeout: number; polling: 'raf' | number }): Promise<{ jsonValue(): Promise<unknown> }>;
}

export type StorageState = { cookies: unknown[]; origins: unknown[] };

export interface BrowserContext {
  setDefaultTimeout(ms: number): void;
  newPage(): Promise<Page>;
  storageState(): Promise<StorageState>;
  close(): Promise<void>;
}

export interface Browser {
  newContext(options: { baseURL: string; storageState?: StorageState; viewport?: { width: number; height: number } }): Promise<BrowserContext>;
  version(): string;
  close(): Promise<void>;
  once(event: 'disconnected', listener: () => void): void;
}

export const chromium = (playwright as { chromium: { launch(options: { executablePath: string; args: string[]; timeout: number }): Promise<Browser> } }).chromium;
