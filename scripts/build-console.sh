#!/usr/bin/env bash
# Builds the web console's production bundle (next build) unless the build
# is current: apps/web/.next/BUILD_ID newer than everything it is built
# from. Set-up builds it once; the demo, the console tests and the bench
# call this again and build only after a change. --force always builds.
set -euo pipefail
cd "$(dirname "$0")/.."

build_id=apps/web/.next/BUILD_ID
sources=(apps/web/src apps/web/package.json apps/web/next.config.ts apps/web/tsconfig.json packages/api/src pnpm-lock.yaml)
if [ "${1:-}" != --force ] && [ -f "$build_id" ] && [ -z "$(find "${sources[@]}" -newer "$build_id" -print -quit)" ]; then
  echo "the console build is current ($build_id is newer than its sources)"
  exit 0
fi
cd apps/web
NEXT_TELEMETRY_DISABLED=1 exec node node_modules/next/dist/bin/next build
