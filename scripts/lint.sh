#!/usr/bin/env bash
# `pnpm lint`: the format and lint check of the whole repo; fails on any drift or finding.
# Both halves always run, so one failure does not hide the other.
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/log.sh

failed=()
step "biome: format and lint of TypeScript, JavaScript and JSON (biome.jsonc)"
node_modules/.bin/biome check --error-on-warnings . || failed+=(biome)
step "clang-format: the C of bpf/ (bpf/.clang-format)"
bash scripts/format-c.sh --check || failed+=(clang-format)

[ ${#failed[@]} -eq 0 ] || die "lint failed: ${failed[*]}; \`pnpm format\` fixes formatting, lint findings need a code change"
