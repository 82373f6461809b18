#!/usr/bin/env bash
# npm run setup:test — make a fresh Debian machine ready for every test command (npm test and its
# levels, test:e2e, test:compose, the soak, npm run lint): install the Debian packages the tests
# use and start dockerd if it is not running. .ci/run calls it; so can a newcomer, once, as root.
# Safe to run again: it installs only what is missing and says what. `npm run test:unit` needs
# none of this (no root, no Docker, no Redis, no browser).
set -euo pipefail

# One line per package: the command or package that shows it is there, the package, and why.
# (kind "cmd" checks a command on PATH, "pkg" an installed Debian package.)
packages=(
  "cmd dockerd            docker.io        the model containers; test engines of their own"
  "cmd redis-server       redis-server     the queue and the run records (a private server per test)"
  "cmd redis-sentinel     redis-sentinel   the Sentinel failover test"
  "pkg busybox-static     busybox-static   FROM-scratch test images"
  "cmd promtool           prometheus       promtool checks /metrics"
  "cmd debootstrap        debootstrap      offline base images"
  "cmd docker-registry    docker-registry  the private-registry tests"
  "cmd htpasswd           apache2-utils    their htpasswd -B users"
  "cmd ip                 iproute2         a test engine's own bridge; docker0's address"
  "cmd pgrep              procps           killing a test engine whole (a lost host)"
  "cmd chromium           chromium         the web app's browser tests (playwright-core drives it)"
  "cmd runsc              runsc            the gVisor runtime for sandboxed runs"
  "cmd newuidmap          uidmap           user-namespace remapping of a test engine"
)

need=()
for line in "${packages[@]}"; do
  read -r kind probe package why <<<"$line"
  case $kind in
    cmd) command -v "$probe" >/dev/null && continue ;;
    pkg) dpkg -s "$probe" >/dev/null 2>&1 && continue ;;
  esac
  need+=("$package")
  printf 'needs %-16s %s\n' "$package" "$why"
done
# Compose v1 or v2, whichever the machine has; v1 from Debian if neither.
if ! command -v docker-compose >/dev/null && ! docker compose version >/dev/null 2>&1; then
  need+=(docker-compose)
  printf 'needs %-16s %s\n' docker-compose "the compose smoke test (npm run test:compose)"
fi

if ((${#need[@]})); then
  if ((EUID != 0)); then
    echo "installing these takes root: run again as root (sudo npm run setup:test)" >&2
    exit 1
  fi
  echo "installing: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  echo "installed: ${need[*]}"
else
  echo "system packages: all there"
fi

if ! docker info >/dev/null 2>&1; then
  echo "starting dockerd (log: /tmp/dockerd.log)"
  nohup dockerd >/tmp/dockerd.log 2>&1 &
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    sleep 1
  done
  docker info >/dev/null 2>&1 || {
    echo "dockerd did not start:" >&2
    tail -20 /tmp/dockerd.log >&2
    exit 1
  }
fi
docker version --format 'docker engine {{.Server.Version}} (API {{.Server.APIVersion}})'
