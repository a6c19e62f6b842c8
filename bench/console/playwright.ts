/*
 * Playwright's Chromium launcher (the root's @playwright/test, the same
 * package the console tests use), narrowed to the little the bench uses.
 */
import * as playwright from '@playwright/test';

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

export const chromium = (playwright as { chromium: { launch(options: { executablePath: string; args: string[]; timeout: number }): Promise<Browser> } })
  .chromium;
