// The conntrack worker's entry point. A worker thread starts without the
// parent's module hooks (bin/sluice.mjs registers tsx in code, not by a
// flag), so it registers tsx itself before loading the TypeScript.
import { register } from 'tsx/esm/api';

register();
await import('./worker-thread.ts');
