#!/usr/bin/env bash
# Runplane worker host: the UserData of the worker launch template. The stack
# puts its names and endpoints in front of this file as exported variables
# (infra/workers.yml); cloud-init runs the result once, on the first boot.
#
#   worker-host.sh [--dry-run] [--root DIR] [install | prepare | lifecycle]
#
#   install    (default) install Docker, gVisor, Node.js and the AWS CLI, fetch
#              the worker bundle, install its systemd units, build the sandbox
#              image, then start the lifecycle service. Runs once per instance,
#              so an instance parked in the warm pool is ready when it starts.
#   prepare    before every start of the agent (ExecStartPre): fetch a newer
#              bundle if one was published, make sure its sandbox image exists,
#              and write the services' environment with the Redis password
#              and the callback signing key from Secrets Manager to /run
#              (never to disk).
#   lifecycle  every boot: tell the Auto Scaling group when this instance is
#              ready (launch hook), and drain the agent before it goes (drain hook).
#
# --dry-run prints each command that would change the machine or call AWS
# instead of running it, writes files under --root, takes the bundle from
# RUNPLANE_BUNDLE_DIR and instance metadata from RUNPLANE_DRY_RUN_STATES.
# tests/infra runs it that way in a Debian container.
set -euo pipefail

DRY_RUN=0
ROOT=""
COMMAND=install
while [ $# -gt 0 ]; do
  case "$1" in
    --dry-run) DRY_RUN=1 ;;
    --root) ROOT="${2:?--root needs a directory}"; shift ;;
    install | prepare | lifecycle) COMMAND="$1" ;;
    *) echo "usage: $0 [--dry-run] [--root DIR] [install|prepare|lifecycle]" >&2; exit 64 ;;
  esac
  shift
done

ETC_DIR="$ROOT/etc/runplane"
RUN_DIR="$ROOT/run/runplane"
OPT_DIR="$ROOT/opt/runplane"
UNIT_DIR="$ROOT/etc/systemd/system"
SELF="$ROOT/usr/local/lib/runplane/worker-host.sh"
POLL_SECONDS="${RUNPLANE_POLL_SECONDS:-5}"
# What the stack must provide (the agent's own variables are checked again by worker/config.ts).
REQUIRED_VARS=(RUNPLANE_STAGE AWS_REGION RUNPLANE_ASG_NAME RUNPLANE_LAUNCH_HOOK RUNPLANE_DRAIN_HOOK
  RUNPLANE_BUNDLE_BUCKET RUNPLANE_BUNDLE_PREFIX RUNPLANE_REDIS_SECRET_ID RUNPLANE_REDIS_HOST RUNPLANE_REDIS_PORT
  JOBS_TABLE CODE_BUCKET JOBS_QUEUE_URL JOBS_DLQ_URL WS_MANAGEMENT_ENDPOINT)
OPTIONAL_VARS=(WORKER_CONCURRENCY VISIBILITY_TIMEOUT_SECONDS METRICS_PORT)

log() { printf '[runplane-host] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Runs a command that changes the machine or calls AWS; a dry run prints it instead.
act() {
  if [ "$DRY_RUN" = 1 ]; then printf 'would run: %s\n' "$*"; else "$@"; fi
}

require_config() {
  local missing=() name
  for name in "${REQUIRED_VARS[@]}"; do [ -n "${!name:-}" ] || missing+=("$name"); done
  [ ${#missing[@]} -eq 0 ] || die "missing stack configuration: ${missing[*]}"
}

load_stack_config() {
  [ -f "$ETC_DIR/stack.env" ] || die "$ETC_DIR/stack.env is missing; was install run?"
  set -a
  # shellcheck source=/dev/null
  . "$ETC_DIR/stack.env"
  set +a
  require_config
}

# Instance metadata through IMDSv2 (the launch template requires tokens).
imds() {
  if [ "$DRY_RUN" = 1 ]; then dry_run_imds "$1"; return; fi
  local token
  token="$(curl -sf -X PUT http://169.254.169.254/latest/api/token -H 'X-aws-ec2-metadata-token-ttl-seconds: 60')" || return 1
  curl -sf -H "X-aws-ec2-metadata-token: $token" "http://169.254.169.254/latest/meta-data/$1"
}

# A dry run replays the lifecycle states listed in RUNPLANE_DRY_RUN_STATES, one per call.
dry_run_imds() {
  case "$1" in
    instance-id) echo i-0dryrun ;;
    autoscaling/target-lifecycle-state)
      local queue="$RUN_DIR/dry-run-states"
      # Word splitting is the point: the variable is a space-separated list.
      # shellcheck disable=SC2086
      [ -f "$queue" ] || printf '%s\n' ${RUNPLANE_DRY_RUN_STATES:-InService} >"$queue"
      [ -s "$queue" ] || return 1
      head -n 1 "$queue"
      sed -i 1d "$queue"
      ;;
  esac
}

write_stack_config() {
  mkdir -p "$ETC_DIR"
  local name file="$ETC_DIR/stack.env"
  : >"$file"
  for name in "${REQUIRED_VARS[@]}" "${OPTIONAL_VARS[@]}"; do
    [ -z "${!name:-}" ] || printf "%s='%s'\n" "$name" "${!name}" >>"$file"
  done
  chmod 0644 "$file"
}

install_packages() {
  export DEBIAN_FRONTEND=noninteractive
  act apt-get update -q
  act apt-get install -y -q --no-install-recommends docker.io runsc nodejs awscli curl ca-certificates
  # gVisor as the `runsc` runtime (the gvisor isolation tier); it needs --network=none.
  mkdir -p "$ROOT/etc/docker"
  cat >"$ROOT/etc/docker/daemon.json" <<'JSON'
{
  "runtimes": { "runsc": { "path": "/usr/bin/runsc", "runtimeArgs": ["--network=none"] } },
  "log-driver": "json-file",
  "log-opts": { "max-size": "10m", "max-file": "2" }
}
JSON
  act systemctl restart docker.service
  id -u runplane >/dev/null 2>&1 || act useradd --system --create-home --home-dir /var/lib/runplane --groups docker runplane
}

# The units come with the bundle (infra/systemd/), so they change with the code.
install_units() {
  mkdir -p "$UNIT_DIR"
  if [ ! -d "$OPT_DIR/current/systemd" ]; then
    [ "$DRY_RUN" = 1 ] || die "the worker bundle has no systemd units"
    log "dry run: no bundle, no units to install"
    return 0
  fi
  install -m 0644 "$OPT_DIR/current/systemd/"*.service "$UNIT_DIR/"
  act systemctl daemon-reload
  act systemctl enable runplane-lifecycle.service
}

# Copies `name` from the bundle location (S3, or RUNPLANE_BUNDLE_DIR) to `dest`.
fetch_object() {
  if [ -n "${RUNPLANE_BUNDLE_DIR:-}" ]; then
    cp "$RUNPLANE_BUNDLE_DIR/$1" "$2"
  else
    act aws s3 cp --only-show-errors "s3://$RUNPLANE_BUNDLE_BUCKET/$RUNPLANE_BUNDLE_PREFIX/$1" "$2"
  fi
}

# `current` names the published bundle: "<version> <sha256 of the .tgz>".
# Until infra/deploy-worker.sh has published one, keep asking (first deploy).
fetch_bundle() {
  local pointer="$RUN_DIR/current" version sha tries=0
  mkdir -p "$RUN_DIR" "$OPT_DIR/releases"
  until fetch_object current "$pointer" 2>/dev/null && [ -s "$pointer" ]; do
    [ "$DRY_RUN" = 0 ] || { log "dry run: no bundle location given; skipping the fetch"; return 0; }
    tries=$((tries + 1))
    [ "$tries" -lt 60 ] || die "no worker bundle published at $RUNPLANE_BUNDLE_PREFIX/current"
    log "waiting for a worker bundle to be published (infra/deploy-worker.sh)"
    sleep 15
  done
  read -r version sha <"$pointer"
  [[ "$version" =~ ^[A-Za-z0-9._-]+$ ]] || die "bad bundle version in pointer: $version"
  if [ "$(cat "$OPT_DIR/current/VERSION" 2>/dev/null || true)" = "$version" ]; then return 0; fi
  log "installing worker bundle $version"
  local archive="$RUN_DIR/bundle.tgz" target="$OPT_DIR/releases/$version"
  fetch_object "$version.tgz" "$archive"
  echo "$sha  $archive" | sha256sum --check --quiet - || die "bundle $version does not match its checksum"
  rm -rf "$target" && mkdir -p "$target"
  tar -xzf "$archive" -C "$target"
  rm -f "$archive"
  ln -sfn "releases/$version" "$OPT_DIR/current"
  # Keep the previous release for a quick manual rollback; drop older ones.
  find "$OPT_DIR/releases" -mindepth 1 -maxdepth 1 -type d ! -name "$version" -printf '%T@ %p\n' |
    sort -rn | tail -n +2 | cut -d' ' -f2- | xargs -r rm -rf
}

# The bundle names its sandbox image by a hash of the recipe; build it once per recipe.
ensure_sandbox_image() {
  local tag
  tag="$(cat "$OPT_DIR/current/sandbox/image-tag" 2>/dev/null || echo runplane-sandbox:latest)"
  if [ "$DRY_RUN" = 0 ] && docker image inspect "$tag" >/dev/null 2>&1; then
    SANDBOX_IMAGE="$tag"
    return 0
  fi
  log "building sandbox image $tag"
  act docker build --quiet --tag "$tag" "$OPT_DIR/current/sandbox"
  SANDBOX_IMAGE="$tag"
}

# The toolchain images (JVM, Rust, GHC, OCaml) on the base image: <base tag>-<toolchain>.
ensure_toolchain_images() {
  local recipe name
  for recipe in "$OPT_DIR/current/sandbox/toolchains/"*.txt; do
    [ -e "$recipe" ] || continue
    name="$(basename "$recipe" .txt)"
    if [ "$DRY_RUN" = 0 ] && docker image inspect "$SANDBOX_IMAGE-$name" >/dev/null 2>&1; then continue; fi
    log "building toolchain image $SANDBOX_IMAGE-$name"
    act docker build --quiet --tag "$SANDBOX_IMAGE-$name" --build-arg "BASE=$SANDBOX_IMAGE" \
      --build-arg "PACKAGES=toolchains/$name.txt" "$OPT_DIR/current/sandbox"
  done
}

write_service_env() {
  local password callback_key
  if [ "$DRY_RUN" = 1 ]; then
    act aws secretsmanager get-secret-value --secret-id "$RUNPLANE_REDIS_SECRET_ID"
    act aws secretsmanager get-secret-value --secret-id "$RUNPLANE_CALLBACK_SECRET_ID"
    password=dry-run-password
    callback_key=dry-run-callback-signing-key-0123456789abcdef
  else
    password="$(aws secretsmanager get-secret-value --region "$AWS_REGION" --secret-id "$RUNPLANE_REDIS_SECRET_ID" \
      --query SecretString --output text | node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(0, "utf8")).password)')"
    callback_key="$(aws secretsmanager get-secret-value --region "$AWS_REGION" --secret-id "$RUNPLANE_CALLBACK_SECRET_ID" \
      --query SecretString --output text)"
  fi
  mkdir -p "$RUN_DIR"
  local file="$RUN_DIR/worker.env"
  (
    umask 077
    {
      grep -v '^RUNPLANE_' "$ETC_DIR/stack.env" || true
      printf "REDIS_URL='rediss://runplane:%s@%s:%s'\n" "$password" "$RUNPLANE_REDIS_HOST" "$RUNPLANE_REDIS_PORT"
      printf "CALLBACK_SIGNING_KEY='%s'\n" "$callback_key"
      printf "SANDBOX_IMAGE='%s'\n" "$SANDBOX_IMAGE"
      printf "NODE_OPTIONS='--enable-source-maps'\n"
    } >"$file"
  )
}

complete_hook() {
  act aws autoscaling complete-lifecycle-action --region "$AWS_REGION" --auto-scaling-group-name "$RUNPLANE_ASG_NAME" \
    --lifecycle-hook-name "$1" --instance-id "$INSTANCE_ID" --lifecycle-action-result "$2" ||
    log "no pending $1 action to complete (already completed or timed out)"
}

target_state() {
  local state
  until state="$(imds autoscaling/target-lifecycle-state)" && [ -n "$state" ]; do
    [ "$DRY_RUN" = 0 ] || die "dry run: no more lifecycle states to replay"
    sleep "$POLL_SECONDS"
  done
  echo "$state"
}

run_lifecycle() {
  INSTANCE_ID="$(imds instance-id)"
  local state
  state="$(target_state)"
  case "$state" in
    Warmed:*)
      # Initialised for the warm pool: let the group stop us; the next boot enters service.
      complete_hook "$RUNPLANE_LAUNCH_HOOK" CONTINUE
      return 0
      ;;
    InService) ;;
    *) die "unexpected target lifecycle state: $state" ;;
  esac
  if act systemctl start runplane-worker.service runplane-relay.service; then
    complete_hook "$RUNPLANE_LAUNCH_HOOK" CONTINUE
  else
    log "the agent did not start; giving the instance back"
    complete_hook "$RUNPLANE_LAUNCH_HOOK" ABANDON
    return 1
  fi
  while [ "$(target_state)" != Terminated ]; do sleep "$POLL_SECONDS"; done
  log "instance is leaving the group; draining the agent"
  act systemctl stop runplane-relay.service runplane-worker.service
  complete_hook "$RUNPLANE_DRAIN_HOOK" CONTINUE
}

case "$COMMAND" in
  install)
    require_config
    write_stack_config
    install_packages
    mkdir -p "$(dirname "$SELF")"
    install -m 0755 "$0" "$SELF"
    fetch_bundle
    install_units
    ensure_sandbox_image
    ensure_toolchain_images
    act systemctl start --no-block runplane-lifecycle.service
    log "installed; the lifecycle service takes it from here"
    ;;
  prepare)
    load_stack_config
    fetch_bundle
    ensure_sandbox_image
    ensure_toolchain_images
    write_service_env
    ;;
  lifecycle)
    load_stack_config
    run_lifecycle
    ;;
esac
