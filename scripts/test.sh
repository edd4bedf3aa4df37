#!/usr/bin/env bash
# `npm test` after set-up: every vitest run, always. The e2e run is separate
# (one file at a time: each starts a whole stack), and so are the fault tests
# (they restart this machine's Docker engine, so nothing else may use it
# meanwhile); each runs even when an earlier one failed, so its failures are
# never hidden behind another's; the exit status is non-zero if any failed.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

status=0
# The language tests run Java, Kotlin, Rust, Haskell and OCaml from their toolchain images
# (scripts/setup.sh builds only the base image): built once per recipe, ~2 min for the four.
bash scripts/build-sandbox-image.sh --all || status=1
npx vitest run --exclude 'tests/e2e/**' --exclude 'tests/faults/**' || status=1
npx vitest run tests/e2e --no-file-parallelism || status=1
npx vitest run tests/faults --no-file-parallelism || status=1
exit "$status"
