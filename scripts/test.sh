#!/usr/bin/env bash
# The one command that sets everything up and runs every test suite.
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/log.sh

bash scripts/setup.sh || exit 1

failed_suites=()
# First stage: format, lint and types; a drift fails the run (the suites still run, for the full picture).
step "lint (pnpm lint: biome and clang-format)"
pnpm -s lint || failed_suites+=(lint)
step "typecheck (pnpm typecheck)"
pnpm -s typecheck || failed_suites+=(typecheck)

for suite in bpf agent e2e agent-e2e console; do
  step "test suite: $suite"
  bash scripts/run-tests.sh "$suite" || failed_suites+=("$suite")
done

if [ ${#failed_suites[@]} -gt 0 ]; then
  die "failed suites: ${failed_suites[*]}"
fi
step "all test suites passed"
