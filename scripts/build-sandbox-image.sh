#!/usr/bin/env bash
# Builds the sandbox image without an image registry: debootstrap a minimal
# Debian rootfs with the packages in sandbox/packages.txt, finish it with
# sandbox/rootfs-setup.sh, then `docker import` it. The tag carries a hash of
# the recipe, so editing the recipe rebuilds and an unchanged one is cached.
set -euo pipefail
cd "$(dirname "$0")/.."
TAG="$(scripts/sandbox-image-tag.sh)"
if docker image inspect "$TAG" >/dev/null 2>&1; then
  docker tag "$TAG" runplane-sandbox:latest
  echo "[sandbox] image $TAG is present"
  exit 0
fi
MIRROR="${DEBIAN_MIRROR:-$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)}"
MIRROR="${MIRROR:-http://deb.debian.org/debian}"
WORK="$(mktemp -d /var/tmp/runplane-rootfs.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
PKGS="$(paste -sd, sandbox/packages.txt)"
echo "[sandbox] debootstrap bookworm ($PKGS) from $MIRROR — about a minute on first run"
debootstrap --variant=minbase --include="$PKGS" bookworm "$WORK/rootfs" "$MIRROR" \
  | awk '/^I: (Retrieving|Validating|Extracting|Installing|Configuring) / { n++; if (n % 25 == 0) { printf "[sandbox]   %s\n", $0; fflush() } } /^E:/ { print; fflush() }'
sh sandbox/rootfs-setup.sh "$WORK/rootfs"
echo "[sandbox] importing into docker as $TAG"
tar -C "$WORK/rootfs" -c . | docker import \
  --change 'USER 1000:1000' --change 'WORKDIR /work' --change 'CMD ["sleep","infinity"]' \
  --change "LABEL io.runplane.recipe=$TAG" - "$TAG" >/dev/null
docker tag "$TAG" runplane-sandbox:latest
echo "[sandbox] built $TAG ($(docker image inspect -f '{{.Size}}' "$TAG" | awk '{printf "%d MB", $1/1e6}'))"
