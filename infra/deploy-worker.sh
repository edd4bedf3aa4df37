#!/usr/bin/env bash
# Publishes a new worker version for a deployed stage and rolls it out:
#   1. builds the bundle (infra/build-worker-bundle.sh);
#   2. uploads <version>.tgz under runplane-worker/<stage>/ in the stack's
#      deployment bucket, then points `current` at it (instances read it each
#      time the agent starts, so a warm-pool instance starts the new version);
#   3. starts an instance refresh that launches replacements before it drains
#      and terminates the old instances (no capacity dip).
#
#   infra/deploy-worker.sh --stage prod [--region eu-west-1] [--no-refresh] [--dry-run]
set -euo pipefail
cd "$(dirname "$0")/.."
STAGE=""
REGION="${AWS_REGION:-us-east-1}"
REFRESH=1
DRY_RUN=0
while [ $# -gt 0 ]; do
  case "$1" in
    --stage) STAGE="${2:?}"; shift ;;
    --region) REGION="${2:?}"; shift ;;
    --no-refresh) REFRESH=0 ;;
    --dry-run) DRY_RUN=1 ;;
    *) echo "usage: $0 --stage STAGE [--region REGION] [--no-refresh] [--dry-run]" >&2; exit 64 ;;
  esac
  shift
done
[ -n "$STAGE" ] || { echo "--stage is required" >&2; exit 64; }

act() {
  if [ "$DRY_RUN" = 1 ]; then printf 'would run: %s\n' "$*"; else "$@"; fi
}

read -r VERSION ARCHIVE SHA < <(bash infra/build-worker-bundle.sh)
echo "[deploy-worker] built worker bundle $VERSION"

if [ "$DRY_RUN" = 1 ]; then
  BUCKET="dry-run-deployment-bucket"
else
  BUCKET="$(aws cloudformation describe-stacks --region "$REGION" --stack-name "runplane-$STAGE" \
    --query "Stacks[0].Outputs[?OutputKey=='ServerlessDeploymentBucketName'].OutputValue" --output text)"
  if [ -z "$BUCKET" ] || [ "$BUCKET" = None ]; then
    echo "stack runplane-$STAGE has no deployment bucket; deploy it first" >&2
    exit 1
  fi
fi
PREFIX="s3://$BUCKET/runplane-worker/$STAGE"

# The archive first, then the pointer: an instance never sees a version it cannot fetch.
act aws s3 cp --region "$REGION" --only-show-errors "$ARCHIVE" "$PREFIX/$VERSION.tgz"
POINTER="$(mktemp)"
trap 'rm -f "$POINTER"' EXIT
echo "$VERSION $SHA" >"$POINTER"
act aws s3 cp --region "$REGION" --only-show-errors "$POINTER" "$PREFIX/current"
echo "[deploy-worker] $PREFIX/current -> $VERSION"

if [ "$REFRESH" = 1 ]; then
  act aws autoscaling start-instance-refresh --region "$REGION" --auto-scaling-group-name "runplane-$STAGE-workers" \
    --preferences '{"MinHealthyPercentage":100,"MaxHealthyPercentage":200,"InstanceWarmup":60}'
  echo "[deploy-worker] instance refresh started; follow it with: aws autoscaling describe-instance-refreshes --auto-scaling-group-name runplane-$STAGE-workers"
fi
