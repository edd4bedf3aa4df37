#!/usr/bin/env bash
# Builds the worker bundle that instances fetch from the deployment bucket:
# the agent and the WebSocket relay bundled by esbuild (one file each, no
# node_modules on the host), the sandbox supervisor, esbuild's binary for the
# sandboxes (TypeScript), the sandbox image recipe and the systemd units. The version is a hash of the contents, so rebuilding
# unchanged code gives the same version and publishing it changes nothing.
#
#   infra/build-worker-bundle.sh [OUT_DIR]   (default .build/worker)
#
# Prints "<version> <path of the .tgz> <sha256 of the .tgz>".
set -euo pipefail
cd "$(dirname "$0")/.."
OUT_DIR="${1:-.build/worker}"
STAGING="$(mktemp -d)"
trap 'rm -rf "$STAGING"' EXIT

# Bundled CommonJS dependencies call require() and use __dirname; give the ESM bundle both.
BANNER="import { createRequire as __rpRequire } from 'node:module'; import { fileURLToPath as __rpPath } from 'node:url'; import { dirname as __rpDir } from 'node:path'; const require = __rpRequire(import.meta.url); const __filename = __rpPath(import.meta.url); const __dirname = __rpDir(__filename);"
for entry in worker/main.ts:main.mjs relay/main.ts:relay.mjs; do
  # Native add-ons (ssh2, cpu-features) are optional in their packages and unused here.
  node_modules/.bin/esbuild "${entry%%:*}" --bundle --platform=node --target=node20 --format=esm \
    --sourcemap --external:'*.node' --banner:js="$BANNER" --log-level=warning --outfile="$STAGING/${entry##*:}"
done
# Next to main.mjs, where the agent looks for it (worker/sandbox-host/container-spec.ts), without caches.
mkdir -p "$STAGING/supervisor"
cp sandbox/supervisor/*.py "$STAGING/supervisor/"
# esbuild's static binary, which TypeScript jobs run inside the sandbox, also next
# to main.mjs: the one for the workers' architecture (arm64, c7g), of the version
# the checkout uses. npm installs only this machine's, so another comes from the
# registry once (npm pack) and is kept under .build/.
WORKER_ARCH="${WORKER_ARCH:-arm64}"
ESBUILD_VERSION="$(node -p 'require("./node_modules/esbuild/package.json").version')"
ESBUILD_PACKAGE="@esbuild/linux-$WORKER_ARCH"
ESBUILD_BIN="node_modules/$ESBUILD_PACKAGE/bin/esbuild"
if [ ! -x "$ESBUILD_BIN" ] || [ "$(node -p "require('./node_modules/$ESBUILD_PACKAGE/package.json').version")" != "$ESBUILD_VERSION" ]; then
  ESBUILD_BIN=".build/esbuild/$ESBUILD_VERSION-linux-$WORKER_ARCH/esbuild"
  if [ ! -x "$ESBUILD_BIN" ]; then
    mkdir -p "$STAGING/npm" "$(dirname "$ESBUILD_BIN")"
    npm pack --silent --pack-destination "$STAGING/npm" "$ESBUILD_PACKAGE@$ESBUILD_VERSION" >/dev/null
    tar -xzf "$STAGING/npm/"*.tgz -O package/bin/esbuild >"$ESBUILD_BIN.partial"
    chmod 755 "$ESBUILD_BIN.partial" && mv "$ESBUILD_BIN.partial" "$ESBUILD_BIN"
    rm -rf "$STAGING/npm"
  fi
fi
install -m 755 "$ESBUILD_BIN" "$STAGING/esbuild"
mkdir -p "$STAGING/sandbox/toolchains" "$STAGING/systemd"
cp sandbox/Dockerfile sandbox/packages.txt sandbox/rootfs-setup.sh sandbox/runplane-exec.c "$STAGING/sandbox/"
cp sandbox/toolchains/*.txt "$STAGING/sandbox/toolchains/"
cp infra/systemd/*.service "$STAGING/systemd/"
# Hosts build the images from the Dockerfile, once per recipe (toolchain images: <tag>-<toolchain>).
RECIPE_HASH="$(cat sandbox/Dockerfile sandbox/packages.txt sandbox/rootfs-setup.sh sandbox/runplane-exec.c sandbox/toolchains/*.txt | sha256sum | cut -c1-12)"
echo "runplane-sandbox:$RECIPE_HASH" >"$STAGING/sandbox/image-tag"

VERSION="$(cd "$STAGING" && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-12)"
echo "$VERSION" >"$STAGING/VERSION"
mkdir -p "$OUT_DIR"
ARCHIVE="$OUT_DIR/$VERSION.tgz"
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$STAGING" -cf - . | gzip -n >"$ARCHIVE"
echo "$VERSION $ARCHIVE $(sha256sum "$ARCHIVE" | cut -d' ' -f1)"
