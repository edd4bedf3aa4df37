#!/usr/bin/env bash
# Brings this machine to what `npm start` and `npm test` need, doing only what
# is missing: npm dependencies, Debian packages (redis-server, docker.io,
# debootstrap, runsc, shellcheck for the UserData lint test), gVisor registered
# as a Docker runtime, a running Docker engine and the sandbox image. Safe to run
# again; a ready machine passes through in a second or two.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '[setup] %s\n' "$*"; }
die() { printf '[setup] error: %s\n' "$*" >&2; exit 1; }

is_root() { [ "$(id -u)" = 0 ]; }
is_debian() { [ -r /etc/debian_version ] && command -v apt-get >/dev/null; }

# --- Node.js -----------------------------------------------------------------
# 20.15: zlib.crc32 (Judge0 additional_files checks each zip entry's CRC).
node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 15) ? 0 : 1)' \
  || die "Node.js 20.15 or newer is required (found $(node --version))"

# --- npm dependencies ----------------------------------------------------------
LOCK_HASH="$(sha256sum package-lock.json | cut -c1-16)"
if [ "$(cat node_modules/.runplane-lock 2>/dev/null || true)" != "$LOCK_HASH" ]; then
  say "installing npm dependencies (npm ci)…"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$LOCK_HASH" > node_modules/.runplane-lock
fi

# --- Debian packages -----------------------------------------------------------
# command → package that provides it
declare -A NEEDED=([redis-server]=redis-server [dockerd]=docker.io [debootstrap]=debootstrap [runsc]=runsc [shellcheck]=shellcheck)
MISSING=()
for cmd in "${!NEEDED[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || [ -x "/usr/sbin/$cmd" ] || MISSING+=("${NEEDED[$cmd]}")
done
if [ ${#MISSING[@]} -gt 0 ]; then
  if is_root && is_debian; then
    say "installing ${MISSING[*]} from apt (first run only)…"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${MISSING[@]}" >/dev/null
  else
    die "missing packages: ${MISSING[*]}. Install them with: sudo apt-get install -y ${MISSING[*]}"
  fi
fi
export PATH="$PATH:/usr/sbin:/sbin"

# --- gVisor as a Docker runtime ------------------------------------------------------
# The gVisor isolation tier runs containers with runtime "runsc". It needs
# --network=none (it refuses to start otherwise here); the default ptrace
# platform (kvm hangs on this machine kind).
RUNSC_ADDED=0
if is_root && ! grep -q '"runsc"' /etc/docker/daemon.json 2>/dev/null; then
  say "registering gVisor (runsc) as a Docker runtime in /etc/docker/daemon.json"
  mkdir -p /etc/docker
  node -e '
    const fs = require("fs"); const f = "/etc/docker/daemon.json";
    const cfg = fs.existsSync(f) && fs.readFileSync(f, "utf8").trim() ? JSON.parse(fs.readFileSync(f, "utf8")) : {};
    cfg.runtimes = { ...(cfg.runtimes || {}), runsc: { path: "/usr/bin/runsc", runtimeArgs: ["--network=none"] } };
    fs.writeFileSync(f, JSON.stringify(cfg, null, 2) + "\n");'
  RUNSC_ADDED=1
fi

# --- Docker engine ---------------------------------------------------------------
if docker info >/dev/null 2>&1 && [ "$RUNSC_ADDED" = 1 ]; then
  # dockerd reloads its runtimes on SIGHUP; no restart, running containers untouched.
  pkill -HUP -x dockerd || true
  sleep 1
fi
if ! docker info >/dev/null 2>&1; then
  is_root || die "no Docker engine answers. Start it (sudo systemctl start docker) or run as root so this script can start dockerd."
  say "starting dockerd…"
  mkdir -p /var/log
  nohup dockerd >/var/log/runplane-dockerd.log 2>&1 &
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
  docker info >/dev/null 2>&1 || die "dockerd did not come up; see /var/log/runplane-dockerd.log"
fi

docker info --format '{{json .Runtimes}}' 2>/dev/null | grep -q runsc \
  || say "warning: dockerd has no runsc runtime; the gVisor tier is unavailable (see /etc/docker/daemon.json)"

# --- sandbox image ------------------------------------------------------------------
bash scripts/build-sandbox-image.sh
say "ready"
