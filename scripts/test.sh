#!/usr/bin/env bash
# `npm test` after set-up: both vitest runs, always. The e2e run is separate
# (one file at a time: each starts a whole stack) and runs even when the first
# run failed, so its failures are never hidden behind an earlier one; the exit
# status is non-zero if either run failed.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

status=0
npx vitest run --exclude 'tests/e2e/**' || status=1
npx vitest run tests/e2e --no-file-parallelism || status=1
exit "$status"
