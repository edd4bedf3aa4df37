#!/usr/bin/env bash
# Prints a sandbox image tag: runplane-sandbox:<hash of the recipe files> for the
# base image, or runplane-sandbox:<hash>-<toolchain> for a toolchain image
# (sandbox/toolchains/<toolchain>.txt on top of the base). One hash covers every
# recipe, so a toolchain image always sits on the base of the same recipe.
set -euo pipefail
cd "$(dirname "$0")/.."
HASH="$(cat sandbox/packages.txt sandbox/toolchains/*.txt sandbox/rootfs-setup.sh sandbox/runplane-exec.c scripts/build-sandbox-image.sh | sha256sum | cut -c1-12)"
if [ $# -gt 0 ] && [ -n "$1" ]; then
  [ -f "sandbox/toolchains/$1.txt" ] || { echo "no toolchain '$1' (sandbox/toolchains/*.txt)" >&2; exit 2; }
  echo "runplane-sandbox:$HASH-$1"
else
  echo "runplane-sandbox:$HASH"
fi
