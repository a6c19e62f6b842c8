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
});
