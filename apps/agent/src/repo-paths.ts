/*
 * The built BPF objects the agent and `sluice backend-host` load by default.
 * Resolved from this module's own URL, which sits one level under apps/agent/
 * both as source (src/repo-paths.ts) and compiled (dist/*.mjs, build.mjs), so
 * one relative path serves both.
 */
import { fileURLToPath } from 'node:url';

const BPF_BUILD = new URL('../../../bpf/build/', import.meta.url);

export const SLUICE_OBJECT_PATH = fileURLToPath(new URL('sluice.bpf.o', BPF_BUILD));
export const DECAP_OBJECT_PATH = fileURLToPath(new URL('decap.bpf.o', BPF_BUILD));
