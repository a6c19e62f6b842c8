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

	it('covers every struct and enum the header defines', () => {
		const names = headerTypeNames(readFileSync(HEADER, 'utf8'));
		const committed = readFileSync(COMMITTED, 'utf8');
		for (const s of names.structs) assert.match(committed, new RegExp(`name: '${s}',`), `struct ${s}`);
		for (const e of names.enums) assert.match(committed, new RegExp(`/\\*\\* enum ${e} \\*/`), `enum ${e}`);
		assert.ok(names.structs.length >= 8 && names.enums.length >= 7);
	});
});
