#!/bin/sh
# Finishes a sandbox root filesystem (run inside the Dockerfile, or on a
# debootstrap directory). Shared so both recipes end up identical.
set -eu
ROOT="${1:-/}"
# The unprivileged user every job runs as; it owns nothing in the image.
if ! grep -q '^runner:' "$ROOT/etc/passwd"; then
  echo 'runner:x:1000:1000:runplane job:/work:/usr/sbin/nologin' >> "$ROOT/etc/passwd"
  echo 'runner:x:1000:' >> "$ROOT/etc/group"
fi
mkdir -p "$ROOT/work"
# The exec helper the supervisor starts every program with, built by the image's own compiler.
mkdir -p "$ROOT/usr/local/lib/runplane"
cp "$(dirname "$0")/runplane-exec.c" "$ROOT/tmp/runplane-exec.c"
if [ "$ROOT" = / ]; then
  gcc -O2 -Wall -o /usr/local/lib/runplane/runplane-exec /tmp/runplane-exec.c
else
  chroot "$ROOT" gcc -O2 -Wall -o /usr/local/lib/runplane/runplane-exec /tmp/runplane-exec.c
fi
rm "$ROOT/tmp/runplane-exec.c"
# Go builds the standard library into its build cache on first use: ~10 s of CPU for
# every job with an empty cache. Built once here, into a cache that jobs only read
# (GOCACHE in core/languages.ts; a read-only cache still serves hits).
GOCACHE_DIR=/usr/local/lib/runplane/gocache
if [ -x "$ROOT/usr/bin/go" ] && [ ! -d "$ROOT$GOCACHE_DIR" ]; then
  if [ "$ROOT" = / ]; then
    env HOME=/root GOCACHE=$GOCACHE_DIR GOTOOLCHAIN=local go build std
  else
    chroot "$ROOT" env HOME=/root GOCACHE=$GOCACHE_DIR GOTOOLCHAIN=local go build std
  fi
  chmod -R a+rX "$ROOT$GOCACHE_DIR"
fi
# Nothing in the sandbox needs setuid; removing the bits closes that route.
find "$ROOT" -xdev -perm /6000 -type f -exec chmod ug-s {} + 2>/dev/null || true
# Package caches and docs are dead weight in every container.
rm -rf "$ROOT/var/cache/apt/archives/"*.deb "$ROOT/var/lib/apt/lists/"* \
       "$ROOT/usr/share/doc" "$ROOT/usr/share/man" "$ROOT/usr/share/info"
