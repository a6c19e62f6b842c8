/* @sluice/api/names: the contract's words and name parsing without zod, for clients that must start fast (the CLI). */
export * from './address.ts';
export * from './service.ts';
export * from './node.ts';
