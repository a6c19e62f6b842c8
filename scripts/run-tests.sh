#!/usr/bin/env bash
# Runs one test suite: bpf | agent | e2e | agent-e2e | console. Prints "N passed, M failed".
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/log.sh

suite=${1:?usage: run-tests.sh bpf|agent|e2e|agent-e2e|console}
REPORTERS=(--test-reporter=spec --test-reporter-destination=stdout
  --test-reporter=./scripts/lib/summary-reporter.mjs --test-reporter-destination=stdout)
# One file at a time: suites share a data plane and network namespaces.
run_node_tests() { node --import tsx --test --test-concurrency=1 "${REPORTERS[@]}" "$@"; }

case "$suite" in
  bpf)
    make -s -C bpf
    bash bpf/test/fixture-network.sh up
    trap 'bash bpf/test/fixture-network.sh down' EXIT
    ip netns exec "slfx${SLUICE_TEST_TAG:-}" env PATH="$PATH" node --import tsx --test --test-concurrency=1 "${REPORTERS[@]}" \
      bpf/test/*.test.ts
    ;;
  agent)
    make -s -C bpf
    run_node_tests $(find apps/agent/test apps/web/test packages/api/test packages/dataplane/test testbed bench/report -name '*.test.ts' 2>/dev/null | sort)
    ;;
  e2e)
    make -s -C bpf
    run_node_tests tests/e2e/*.test.ts
    ;;
  agent-e2e)
    # The agent as a process on the test network: restart under load, health, drain, CLI.
    make -s -C bpf
    run_node_tests tests/agent-e2e/*.test.ts
    ;;
  console)
    make -s -C bpf
    # The production build, as an operator runs it (next start), never dev mode.
    bash scripts/build-console.sh
    # Playwright's globalTeardown cleans up after failures; this covers a run that is killed.
    trap 'node --import tsx tests/console/teardown-cli.ts' EXIT
    rm -f test-results/console-report.json
    NEXT_TELEMETRY_DISABLED=1 node_modules/.bin/playwright test --config playwright.config.ts --workers 1 || status=$?
    [ -f test-results/console-report.json ] && node tests/console/print-summary.mjs test-results/console-report.json
    exit "${status:-0}"
    ;;
  *) die "unknown suite '$suite' (bpf, agent, e2e, agent-e2e)" ;;
esac
