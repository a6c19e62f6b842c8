// The probe thread's entry point from the sources (the build bundles
// probe-worker-thread.ts as dist/probe-entry.cjs). A worker thread starts
// without the parent's module hooks, so it registers tsx itself; CommonJS
// only, as conntrack/worker/worker-entry.cjs says why.
require('tsx/cjs/api').register();
require('./probe-worker-thread.ts');
