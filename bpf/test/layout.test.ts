/*
 * Drift check: the committed generated/layout.ts must be what `pnpm
 * gen:layout` would write from the compiled object and the shared header.
 * Fails when the header (or the object) changed without regenerating.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { GENERATED_HEADER_LINE, generateLayoutSource, headerTypeNames } from '../tools/btf-layout.ts';
import { REPO_ROOT, objectPath } from '@sluice/dataplane/test-helpers';

const HEADER = join(REPO_ROOT, 'bpf/include/sluice_shared.h');
const COMMITTED = join(REPO_ROOT, 'packages/dataplane/src/generated/layout.ts');
/* The backend decapsulation program's own header and layout (bpf/tools/gen-layout.ts DECAP_LAYOUT). */
const DECAP_OBJECT = process.env.SLUICE_DECAP_OBJECT ?? join(REPO_ROOT, 'bpf/build/decap.bpf.o');
const DECAP_HEADER = join(REPO_ROOT, 'bpf/include/sluice_decap.h');
const DECAP_COMMITTED = join(REPO_ROOT, 'packages/dataplane/src/generated/decap-layout.ts');
/* The health-probe steering program's (HEALTH_LAYOUT there). */
const HEALTH_OBJECT = process.env.SLUICE_HEALTH_OBJECT ?? join(REPO_ROOT, 'bpf/build/health_steer.bpf.o');
const HEALTH_HEADER = join(REPO_ROOT, 'bpf/include/sluice_health.h');
const HEALTH_COMMITTED = join(REPO_ROOT, 'packages/dataplane/src/generated/health-layout.ts');

describe('generated layout', () => {
  it('is current (else run `pnpm gen:layout`)', () => {
    const extraCflags = (process.env.EXTRA_CFLAGS ?? '').split(/\s+/).filter(Boolean);
    const fresh = generateLayoutSource({ objectPath: objectPath(), headerPath: HEADER, extraCflags, repoRoot: REPO_ROOT });
    const committed = readFileSync(COMMITTED, 'utf8');
    assert.ok(committed.startsWith(GENERATED_HEADER_LINE));
    assert.equal(committed, fresh, 'packages/dataplane/src/generated/layout.ts is stale: run `pnpm gen:layout`');
  });

  it('covers every struct, enum and #define constant the header defines', () => {
    const names = headerTypeNames(readFileSync(HEADER, 'utf8'));
    const committed = readFileSync(COMMITTED, 'utf8');
    for (const s of names.structs) assert.match(committed, new RegExp(`name: '${s}',`), `struct ${s}`);
    for (const e of names.enums) assert.match(committed, new RegExp(`/\\*\\* enum ${e} \\*/`), `enum ${e}`);
    for (const c of names.constants) assert.match(committed, new RegExp(`^export const ${c} = \\d+;$`, 'm'), `#define ${c}`);
    assert.ok(names.structs.length >= 8 && names.enums.length >= 7);
    assert.ok(['NO_BACKEND', 'LEAST_CONN_CANDIDATES', 'LOOKUP_TABLE_SIZE'].every((c) => names.constants.includes(c)));
  });

  it('carries the value C compiles, so a changed #define without regeneration is drift', () => {
    /* As if the header said 5: the value comes from the compiler, not from a copy. */
    const fresh = generateLayoutSource({ objectPath: objectPath(), headerPath: HEADER, extraCflags: ['-DLEAST_CONN_CANDIDATES=5'], repoRoot: REPO_ROOT });
    assert.match(fresh, /^export const LEAST_CONN_CANDIDATES = 5;$/m);
    assert.notEqual(fresh, readFileSync(COMMITTED, 'utf8'));
  });

  it('is current for the decapsulation program too (else run `pnpm gen:layout`)', () => {
    const extraCflags = (process.env.EXTRA_CFLAGS ?? '').split(/\s+/).filter(Boolean);
    const fresh = generateLayoutSource({
      objectPath: DECAP_OBJECT,
      headerPath: DECAP_HEADER,
      extraCflags,
      repoRoot: REPO_ROOT,
      indexName: 'decapStructLayouts',
    });
    const committed = readFileSync(DECAP_COMMITTED, 'utf8');
    assert.equal(committed, fresh, 'packages/dataplane/src/generated/decap-layout.ts is stale: run `pnpm gen:layout`');
    const names = headerTypeNames(readFileSync(DECAP_HEADER, 'utf8'));
    assert.deepEqual(names.structs, ['decap_address_key', 'decap_settings']);
    for (const s of names.structs) assert.match(committed, new RegExp(`name: '${s}',`), `struct ${s}`);
    assert.match(committed, /\/\*\* enum sluice_decap_counter \*\//);
    assert.match(committed, /^export const DECAP_MAX_ADDRESSES = \d+;$/m);
  });

  it('is current for the health-probe steering program too (else run `pnpm gen:layout`)', () => {
    const extraCflags = (process.env.EXTRA_CFLAGS ?? '').split(/\s+/).filter(Boolean);
    const fresh = generateLayoutSource({
      objectPath: HEALTH_OBJECT,
      headerPath: HEALTH_HEADER,
      extraCflags,
      repoRoot: REPO_ROOT,
      indexName: 'healthStructLayouts',
    });
    const committed = readFileSync(HEALTH_COMMITTED, 'utf8');
    assert.equal(committed, fresh, 'packages/dataplane/src/generated/health-layout.ts is stale: run `pnpm gen:layout`');
    const names = headerTypeNames(readFileSync(HEALTH_HEADER, 'utf8'));
    assert.deepEqual(names.structs, ['health_probe_key', 'health_probe']);
    for (const s of names.structs) assert.match(committed, new RegExp(`name: '${s}',`), `struct ${s}`);
    assert.match(committed, /\/\*\* enum sluice_health_counter \*\//);
    assert.match(committed, /^export const HEALTH_MAX_PROBES = \d+;$/m);
  });
});
