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

# Each suite's output is also kept, so the end of the run can repeat what failed:
# CI shows only the tail of a long log.
logs=test-results/suites
mkdir -p "$logs"
for suite in bpf agent e2e agent-e2e console; do
  step "test suite: $suite"
  bash scripts/run-tests.sh "$suite" 2>&1 | tee "$logs/$suite.log" || failed_suites+=("$suite")
done

if [ ${#failed_suites[@]} -gt 0 ]; then
  step "what failed"
  for suite in "${failed_suites[@]}"; do
    [ -f "$logs/$suite.log" ] && grep -h '^FAILED: ' "$logs/$suite.log" | sed "s/^/[$suite] /"
  done
  die "failed suites: ${failed_suites[*]}"
fi
step "all test suites passed"
