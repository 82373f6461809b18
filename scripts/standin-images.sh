#!/usr/bin/env bash
# Makes sure the base images that Dockerfile and docker-compose.yml name exist in the local engine,
# so that `docker-compose build` works unchanged on a machine with no container registry.
#
# For each base image, in order:
#   1. already in the engine (pulled before, or a stand-in built before): nothing to do;
#   2. `docker pull` works: use the official image;
#   3. otherwise build a local stand-in tagged with the exact official name:
#        node:*   Debian bookworm (debootstrap, minbase) + this machine's Node.js and npm
#        redis:*  Debian bookworm (debootstrap, minbase) + Debian's redis-server
#      Stand-ins carry the label io.modelrun.base.source=debootstrap (as the model's Python stand-in
#      from scripts/model-build-base.sh does), so they can be told from real images.
#
# The image names are read from Dockerfile (ARG NODE_IMAGE=...) and docker-compose.yml
# (image: redis:...), so a version bump there needs no change here.
#
# Usage: scripts/standin-images.sh            ensure the images (idempotent; a second run does nothing)
#        scripts/standin-images.sh --remove   remove the stand-ins (never a pulled image), e.g. to time a cold run
# Needs: docker; for stand-ins also debootstrap (apt-get install debootstrap) and node/npm on the host.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BASE_TAG="modelrun-standin/debian:bookworm-minbase"
LABEL="io.modelrun.base.source"   # the label scripts/model-build-base.sh puts on its stand-in too
PULL_TIMEOUT="${STANDIN_PULL_TIMEOUT:-120}"

say() { printf 'standin-images: %s\n' "$*"; }
die() { printf 'standin-images: error: %s\n' "$*" >&2; exit 1; }

node_image="$(sed -n 's/^ARG NODE_IMAGE=\([^[:space:]]*\).*/\1/p' "$ROOT/Dockerfile" | head -n1)"
redis_image="$(sed -n 's/^[[:space:]]*image:[[:space:]]*["'\'']\{0,1\}\(redis:[^"'\''[:space:]]*\).*/\1/p' "$ROOT/docker-compose.yml" | head -n1)"
[[ -n "$node_image" ]] || die "no 'ARG NODE_IMAGE=' line in Dockerfile"
[[ -n "$redis_image" ]] || die "no 'image: redis:...' line in docker-compose.yml"

command -v docker >/dev/null || die "docker is not installed (Debian: apt-get install docker.io)"
docker info >/dev/null 2>&1 || die "the Docker engine does not answer (is dockerd running? is DOCKER_HOST right?)"

have() { docker image inspect "$1" >/dev/null 2>&1; }

if [[ "${1:-}" == "--remove" ]]; then
  for img in "$node_image" "$redis_image" "$BASE_TAG"; do
    if have "$img" && [[ "$(docker image inspect -f "{{ index .Config.Labels \"$LABEL\" }}" "$img")" == "debootstrap" ]]; then
      docker image rm "$img" >/dev/null && say "removed stand-in $img"
    fi
  done
  exit 0
fi

# Two runs at once (the smoke test and `npm run stack`) must not both debootstrap.
exec 9>"${TMPDIR:-/tmp}/modelrun-standin-images.lock"
flock 9

work=""
cleanup() { if [[ -n "$work" ]]; then rm -rf "$work"; fi; }
trap cleanup EXIT

# The Debian mirror this machine's apt uses (deb822 or one-line sources), else the default.
debian_mirror() {
  local kind="$1" uri
  uri="$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | sed -n 's/^URIs:[[:space:]]*//p' | tr ' ' '\n' | grep -E "/debian${kind}/?\$" | head -n1 || true)"
  [[ -n "$uri" ]] || uri="$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | awk '$1=="deb"{print $2}' | grep -E "/debian${kind}/?\$" | head -n1 || true)"
  printf '%s' "${uri:-http://deb.debian.org/debian${kind}}"
}

build_base() {
  have "$BASE_TAG" && return 0
  command -v debootstrap >/dev/null || die "debootstrap is needed to build stand-ins: apt-get install debootstrap"
  [[ "$(id -u)" == 0 ]] || die "debootstrap needs root to build the stand-in base image"
  local mirror security start=$SECONDS
  mirror="$(debian_mirror '')"
  security="$(debian_mirror '-security')"
  say "debootstrap bookworm (minbase) from $mirror ..."
  work="$(mktemp -d /var/tmp/modelrun-standin.XXXXXX)"
  debootstrap --variant=minbase bookworm "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 \
    || { tail -n 30 "$work/debootstrap.log" >&2; die "debootstrap failed (log above)"; }
  # What Debian's official images do too: updates and security sources, no services started by
  # package scripts, no apt caches kept.
  printf 'deb %s bookworm main\ndeb %s bookworm-updates main\ndeb %s bookworm-security main\n' \
    "$mirror" "$mirror" "$security" >"$work/rootfs/etc/apt/sources.list"
  printf '#!/bin/sh\nexit 101\n' >"$work/rootfs/usr/sbin/policy-rc.d"
  printf '%s\n' 'path-exclude /usr/share/doc/*' 'path-include /usr/share/doc/*/copyright' 'path-exclude /usr/share/man/*' \
    'path-exclude /usr/share/info/*' 'path-exclude /usr/share/locale/*' 'path-include /usr/share/locale/locale.alias' \
    >"$work/rootfs/etc/dpkg/dpkg.cfg.d/docker-slim"
  printf '%s\n' 'APT::Install-Recommends "false";' 'Acquire::Check-Valid-Until "false";' >"$work/rootfs/etc/apt/apt.conf.d/docker-slim"
  find "$work/rootfs/usr/share/doc" -mindepth 2 ! -name copyright -delete 2>/dev/null || true
  rm -rf "$work/rootfs/usr/share/man/"* "$work/rootfs/usr/share/info/"* "$work/rootfs/var/log/"*
  chmod 755 "$work/rootfs/usr/sbin/policy-rc.d"
  rm -rf "$work/rootfs/var/lib/apt/lists/"* "$work/rootfs/var/cache/apt/"*.bin "$work/rootfs/var/cache/apt/archives/"*.deb
  tar -C "$work/rootfs" --numeric-owner -c . | docker import \
    --change "LABEL $LABEL=debootstrap" --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' - "$BASE_TAG" >/dev/null
  rm -rf "$work"; work=""
  say "built $BASE_TAG in $((SECONDS - start)) s"
}

build_node() {
  local image="$1" node npm_dir version ctx
  node="$(command -v node)" || die "no node on this machine to put in the $image stand-in"
  node="$(readlink -f "$node")"
  npm_dir="$(readlink -f "$(dirname "$(readlink -f "$(command -v npm)")")/..")"
  [[ -f "$npm_dir/package.json" ]] || die "cannot find npm's folder (looked at $npm_dir)"
  version="$("$node" -p process.versions.node)"
  # node:20.20.2-... should hold Node 20.20.2; a different machine Node still works, but say so.
  if [[ "$image" != node:"$version"* ]]; then
    say "warning: this machine's Node is $version; the stand-in tagged $image will hold that version"
  fi
  ctx="$(mktemp -d)"
  cp "$node" "$ctx/node"
  cp -a "$npm_dir" "$ctx/npm"
  # The official image's layout: node and npm under /usr/local, a user `node` with uid/gid 1000.
  cat >"$ctx/Dockerfile" <<EOF
FROM $BASE_TAG
COPY node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \\
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \\
 && groupadd --gid 1000 node \\
 && useradd --uid 1000 --gid node --shell /bin/bash --create-home node \\
 && node --version && npm --version
ENV NODE_VERSION=$version
LABEL $LABEL=debootstrap io.modelrun.base.stands-in-for="$image"
CMD ["node"]
EOF
  DOCKER_BUILDKIT=0 docker build -t "$image" "$ctx" >"$ctx.log" 2>&1 \
    || { tail -n 30 "$ctx.log" >&2; rm -rf "$ctx" "$ctx.log"; die "building the $image stand-in failed (log above)"; }
  rm -f "$ctx.log"
  rm -rf "$ctx"
}

build_redis() {
  local image="$1" ctx
  ctx="$(mktemp -d)"
  # Like the official image: /data is the working folder and volume, the server runs as `redis`.
  # The build reaches the Debian mirror through the host's network (containers on the default
  # bridge may have none).
  cat >"$ctx/Dockerfile" <<EOF
FROM $BASE_TAG
RUN apt-get update \\
 && DEBIAN_FRONTEND=noninteractive apt-get install -y redis-server \\
 && apt-get clean && rm -rf /var/lib/apt/lists/* /var/cache/apt/* /var/log/apt /var/log/dpkg.log \\
 && mkdir -p /data && chown redis:redis /data \\
 && redis-server --version
WORKDIR /data
VOLUME /data
USER redis
EXPOSE 6379
LABEL $LABEL=debootstrap io.modelrun.base.stands-in-for="$image"
CMD ["redis-server"]
EOF
  DOCKER_BUILDKIT=0 docker build --network host -t "$image" "$ctx" >"$ctx.log" 2>&1 \
    || { tail -n 30 "$ctx.log" >&2; rm -rf "$ctx" "$ctx.log"; die "building the $image stand-in failed (log above)"; }
  rm -rf "$ctx" "$ctx.log"
}

ensure() {
  local image="$1" builder="$2" start=$SECONDS
  if have "$image"; then
    if [[ "$(docker image inspect -f "{{ index .Config.Labels \"$LABEL\" }}" "$image")" == "debootstrap" ]]; then
      say "$image: stand-in already built, nothing to do"
    else
      say "$image: already present, nothing to do"
    fi
    return 0
  fi
  if timeout "$PULL_TIMEOUT" docker pull -q "$image" >/dev/null 2>&1; then
    say "$image: pulled from the registry in $((SECONDS - start)) s"
    return 0
  fi
  say "$image: cannot be pulled; building a local stand-in"
  build_base
  "$builder" "$image"
  say "$image: stand-in built in $((SECONDS - start)) s ($(docker image inspect -f '{{.Size}}' "$image" | awk '{printf "%.0f MB", $1/1e6}'))"
}

ensure "$node_image" build_node
ensure "$redis_image" build_redis
