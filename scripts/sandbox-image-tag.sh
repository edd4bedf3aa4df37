#!/usr/bin/env bash
# Prints the sandbox image tag: runplane-sandbox:<hash of the recipe files>.
set -euo pipefail
cd "$(dirname "$0")/.."
HASH="$(cat sandbox/packages.txt sandbox/rootfs-setup.sh sandbox/runplane-exec.c scripts/build-sandbox-image.sh | sha256sum | cut -c1-12)"
echo "runplane-sandbox:$HASH"
