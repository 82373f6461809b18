#!/usr/bin/env bash
# npm run model:build: builds the sample model image (modelrun/sample-model:latest) from model/,
# and the sample digits benchmark: its evaluator image (modelrun/digits-evaluator:latest) and its
# reference volume (modelrun-digits-reference: the test split's hidden labels).
#
# The Dockerfile starts FROM an official Python image pinned in its PYTHON_IMAGE argument. When
# that image is already here it is used; else it is pulled; and where no registry can be
# reached, an equivalent base is assembled from Debian packages (scripts/model-build-base.sh)
# and tagged with the same name, once: later builds reuse it. Unchanged sources rebuild from
# Docker's cache in seconds. MODEL_IMAGE overrides the image name.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/docker-build-lib.sh

IMAGE=${MODEL_IMAGE:-modelrun/sample-model:latest}
# The Dockerfile is the one place the base is pinned.
BASE=$(sed -n 's/^ARG PYTHON_IMAGE=//p' model/Dockerfile | head -n1)
OFFLINE_TAG=modelrun/python-sklearn-offline:bookworm

say() { echo "model:build: $*"; }
die() { echo "model:build: $*" >&2; exit 1; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f s", b - a }'; }
label() { docker image inspect -f "{{ index .Config.Labels \"$2\" }}" "$1" 2>/dev/null || true; }

[ -n "$BASE" ] || die "model/Dockerfile has no 'ARG PYTHON_IMAGE=<image>' line"
command -v docker >/dev/null || die "the docker CLI is not installed"
docker info >/dev/null 2>&1 || die "the Docker engine is not reachable: start dockerd or set DOCKER_HOST"

started=$(date +%s.%N)
if docker image inspect "$BASE" >/dev/null 2>&1; then
  if [ "$(label "$BASE" io.modelrun.base.source)" = debootstrap ]; then
    say "base: reusing the offline stand-in for $BASE (Debian $(label "$BASE" io.modelrun.base.suite), Python $(label "$BASE" io.modelrun.base.python), scikit-learn $(label "$BASE" io.modelrun.base.scikit-learn)), assembled earlier because no registry could be reached"
    say "      (once a registry is reachable: docker rmi $BASE $OFFLINE_TAG, then build again to use the official image)"
  else
    say "base: $BASE is already on this host"
  fi
elif pulled=$(timeout 300 docker pull "$BASE" 2>&1); then
  say "base: pulled the official $BASE"
elif docker image inspect "$OFFLINE_TAG" >/dev/null 2>&1; then
  say "base: $BASE cannot be pulled ($(tail -n1 <<<"$pulled")); reusing the offline base $OFFLINE_TAG under that name"
  docker tag "$OFFLINE_TAG" "$BASE"
else
  say "base: $BASE cannot be pulled ($(tail -n1 <<<"$pulled"))"
  say "base: no registry, so assembling an equivalent base offline from Debian packages"
  scripts/model-build-base.sh "$BASE" "$OFFLINE_TAG"
fi
base_done=$(date +%s.%N)

choose_builder
docker_build -t "$IMAGE" model
done_at=$(date +%s.%N)
say "built $IMAGE (base: $(elapsed "$started" "$base_done"), image: $(elapsed "$base_done" "$done_at"))"

EVALUATOR=${EVALUATOR_IMAGE:-modelrun/digits-evaluator:latest}
REFERENCE=${REFERENCE_VOLUME:-modelrun-digits-reference}
docker_build -q -t "$EVALUATOR" -f model/evaluator/Dockerfile model >/dev/null
# The hidden labels, written by the evaluator image itself into the volume (root, once, no network).
docker volume create "$REFERENCE" >/dev/null
docker run --rm --network none --user 0:0 -v "$REFERENCE:/reference" --entrypoint python3 "$EVALUATOR" \
  /app/evaluate.py --make-reference /reference >/dev/null
say "built $EVALUATOR and filled volume $REFERENCE with the digits test split's labels ($(elapsed "$done_at" "$(date +%s.%N)"))"
