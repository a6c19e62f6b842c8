// The SYN injector's entry point: a worker thread starts without the
// parent's module hooks, so it registers tsx itself before loading the
// TypeScript.
const { register } = await import('tsx/esm/api');
register();
await import('./syn-injector.ts');
