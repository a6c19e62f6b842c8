// The conntrack worker's entry point. A worker thread starts without the
// parent's module hooks (bin/sluice.mjs registers tsx in code, not by a
// flag), so it registers tsx itself before loading the TypeScript. The
// CommonJS hooks run in this thread; the ESM ones (tsx/esm/api) would start
// a loader thread of their own, one more V8 heap (~10-15 MB) kept for the
// agent's lifetime. Nothing the worker loads needs ESM (no import.meta, no
// top-level await).
require('tsx/cjs/api').register();
require('./worker-thread.ts');
