#!/usr/bin/env bash
# Builds the sandbox images without an image registry (see docs/languages.md):
#   build-sandbox-image.sh              the base image: debootstrap a minimal Debian
#                                       trixie rootfs with sandbox/packages.txt, finish
#                                       it with sandbox/rootfs-setup.sh, `docker import`
#   build-sandbox-image.sh jvm rust …   toolchain images: a layer on the base image with
#                                       sandbox/toolchains/<name>.txt, installed by apt in
#                                       a chroot, tagged runplane-sandbox:<hash>-<name>
#   build-sandbox-image.sh --all        the base and every toolchain
# Tags carry a hash of the recipe (scripts/sandbox-image-tag.sh): editing the recipe
# rebuilds, an unchanged one is cached. Each tag is also tagged as :latest[-<name>].
set -euo pipefail
cd "$(dirname "$0")/.."
SUITE=trixie
MIRROR="${DEBIAN_MIRROR:-$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)}"
MIRROR="${MIRROR:-http://deb.debian.org/debian}"
say() { printf '[sandbox] %s\n' "$*"; }
# Scratch rootfs dirs (and the /proc mounted in one), removed however the script ends.
SCRATCH=()
drop_scratch() {
  umount "$1/rootfs/proc" 2>/dev/null || true
  umount "$1/rootfs" 2>/dev/null || true
  rm -rf "$1"
}
cleanup() { for dir in "${SCRATCH[@]}"; do drop_scratch "$dir"; done; }
trap cleanup EXIT
# Sets WORK to a new scratch dir. Not `work=$(scratch)`: a command substitution is a
# subshell, whose SCRATCH+= the EXIT trap would never see (each build left ~2 GB behind).
new_scratch() { WORK="$(mktemp -d /var/tmp/runplane-rootfs.XXXXXX)"; SCRATCH+=("$WORK"); }

# Every kth line of debootstrap's or apt's progress, so a first run shows it is alive.
progress() {
  awk -v k="$1" '/^(I: (Retrieving|Validating|Extracting|Installing|Configuring) |Get:|Unpacking |Setting up )/ { n++; if (n % k == 0) { printf "[sandbox]   %s\n", $0; fflush() } } /^(E:|W: Failed)/ { print; fflush() }'
}

import_rootfs() { # rootfs tag
  tar -C "$1" -c . | docker import \
    --change 'USER 1000:1000' --change 'WORKDIR /work' --change 'CMD ["sleep","infinity"]' \
    --change "LABEL io.runplane.recipe=$2" - "$2" >/dev/null
  say "built $2 ($(docker image inspect -f '{{.Size}}' "$2" | awk '{printf "%d MB", $1/1e6}'))"
}

build_base() {
  local tag="$1" work
  new_scratch; work="$WORK"
  say "debootstrap $SUITE ($(paste -sd' ' sandbox/packages.txt)) from $MIRROR — about two minutes on first run"
  debootstrap --variant=minbase --include="$(paste -sd, sandbox/packages.txt)" "$SUITE" "$work/rootfs" "$MIRROR" | progress 40
  mount --bind /proc "$work/rootfs/proc"
  sh sandbox/rootfs-setup.sh "$work/rootfs"
  umount "$work/rootfs/proc"
  say "importing into docker as $tag"
  import_rootfs "$work/rootfs" "$tag"
  drop_scratch "$work" # now, not at exit: --all would otherwise hold every rootfs (~10 GB) until the end
}

# A toolchain image is a layer on the base image: the base image's files (exported,
# seconds) as the lower dir of an overlay, apt in a chroot on it (a minute, not a second
# debootstrap), and only what apt added (the upper dir) goes into the image's own layer.
# The base layer is shared on disk; nothing is bootstrapped twice.
build_toolchain() {
  local name="$1" tag="$2" base="$3" work cid
  new_scratch; work="$WORK"
  say "toolchain $name ($(paste -sd' ' "sandbox/toolchains/$name.txt")) on $base"
  mkdir "$work/base" "$work/upper" "$work/overlay-work" "$work/rootfs" "$work/context"
  cid="$(docker create "$base")"
  docker export "$cid" | tar -C "$work/base" -x
  docker rm "$cid" >/dev/null
  mount -t overlay overlay -o "lowerdir=$work/base,upperdir=$work/upper,workdir=$work/overlay-work" "$work/rootfs"
  cp /etc/resolv.conf "$work/rootfs/etc/resolv.conf"
  mount --bind /proc "$work/rootfs/proc"
  chroot "$work/rootfs" apt-get update -q | progress 1000
  # shellcheck disable=SC2046
  chroot "$work/rootfs" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    $(cat "sandbox/toolchains/$name.txt") | progress 40
  sh sandbox/rootfs-setup.sh "$work/rootfs"
  umount "$work/rootfs/proc"
  umount "$work/rootfs"
  # The host's resolver stays out of the image; files apt deleted from the base show as
  # overlay whiteouts (character devices), which a layer cannot carry: those files stay.
  rm -f "$work/upper/etc/resolv.conf"
  find "$work/upper" -type c -delete
  tar -C "$work/upper" --numeric-owner -cf "$work/context/layer.tar" .
  printf 'FROM %s\nADD layer.tar /\nLABEL io.runplane.recipe=%s\n' "$base" "$tag" > "$work/context/Dockerfile"
  say "adding the layer ($(du -m "$work/context/layer.tar" | cut -f1) MB) on $base as $tag"
  # The classic builder: an ADD needs no BuildKit (not installed with Debian's docker.io).
  local out
  out="$(DOCKER_BUILDKIT=0 docker build --quiet --tag "$tag" "$work/context" 2>&1)" || { echo "$out" >&2; return 1; }
  say "built $tag ($(docker image inspect -f '{{.Size}}' "$tag" | awk '{printf "%d MB", $1/1e6}'), of which the base's $(docker image inspect -f '{{.Size}}' "$base" | awk '{printf "%d MB", $1/1e6}'))"
  drop_scratch "$work"
}

ensure() { # [toolchain]
  local name="${1:-}" tag latest
  tag="$(scripts/sandbox-image-tag.sh "$name")"
  latest="runplane-sandbox:latest${name:+-$name}"
  if docker image inspect "$tag" >/dev/null 2>&1; then
    say "image $tag is present"
  else
    local started=$SECONDS
    if [ -z "$name" ]; then build_base "$tag"; else ensure; build_toolchain "$name" "$tag" "$(scripts/sandbox-image-tag.sh)"; fi
    say "$tag took $(( SECONDS - started )) s"
  fi
  docker tag "$tag" "$latest"
}

# One build at a time on a host: two workers that need the same toolchain on their first
# jobs, or `npm test` next to `npm start`, wait for each other and find the image built.
exec 9>/var/tmp/runplane-sandbox-build.lock
flock 9

if [ $# -eq 0 ]; then
  ensure
elif [ "$1" = --all ]; then
  ensure
  for recipe in sandbox/toolchains/*.txt; do ensure "$(basename "$recipe" .txt)"; done
else
  for name in "$@"; do ensure "$name"; done
fi
