# Shared by scripts/stack.sh and scripts/stack-down.sh (sourced, not run).
# Finds the compose command and prepares the variables docker-compose.yml needs.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

say() { printf 'stack: %s\n' "$*"; }
die() { printf 'stack: error: %s\n' "$*" >&2; exit 1; }


# `docker compose` (v2 plugin) when it is installed, else docker-compose (v1).
find_compose() {
  if docker compose version >/dev/null 2>&1; then
    COMPOSE=(docker compose)
  elif command -v docker-compose >/dev/null 2>&1; then
    COMPOSE=(docker-compose)
  else
    die "neither 'docker compose' (v2) nor docker-compose (v1) is installed. Debian: apt-get install docker-compose"
  fi
}

# A value from ./.env (KEY=value lines), or nothing.
env_file_value() {
  # Nothing, and success, without a .env (a fresh checkout): callers run under set -e.
  [[ -f .env ]] || return 0
  sed -n "s/^[[:space:]]*$1=\\(.*\\)\$/\\1/p" .env | tail -n1 | sed 's/^["'\'']//; s/["'\'']$//'
}

# The compose project: it names the containers and the volumes (the run records, Redis's data).
# The environment's or .env's when set (stack.sh writes it there on the first start); else
# `modelrun` for a checkout in a folder called modelrun that no other checkout's stack holds,
# and for any other checkout `modelrun-<folder>` (with a hash of its path if that one is taken
# too), so a second checkout gets its own stack and volumes instead of sharing the first's.
project_for_checkout() {
  local folder taken
  folder="$(basename "$ROOT" | tr 'A-Z' 'a-z' | tr -c 'a-z0-9_-' '-' | sed 's/-*$//; s/^-*//')"
  local name="modelrun"
  [[ "$folder" == modelrun ]] || name="modelrun-${folder:-checkout}"
  # Compose labels each container with the folder it was started from.
  taken="$(docker ps -a --filter "label=com.docker.compose.project=$name" --format '{{ .Label "com.docker.compose.project.working_dir" }}' 2>/dev/null | sort -u | grep -vx "$ROOT" || true)"
  [[ -z "$taken" ]] || name="$name-$(printf '%s' "$ROOT" | sha256sum | cut -c1-8)"
  printf '%s' "$name"
}

# The group of the Docker socket the worker mounts (docker-compose.yml: group_add).
socket_gid() {
  local socket="${DOCKER_SOCKET:-/var/run/docker.sock}"
  [[ -S "$socket" ]] || die "no Docker socket at $socket (set DOCKER_SOCKET to the engine's socket)"
  stat -c %g "$socket"
}

# PEM certificates the image build's npm must trust where the way to the registry re-signs TLS
# (this machine's locally added CAs). Only the build stages see them; set EXTRA_CA_CERTS= to skip.
export_build_ca() {
  if [[ -z "${EXTRA_CA_CERTS+set}" ]]; then
    EXTRA_CA_CERTS="$(cat /usr/local/share/ca-certificates/*.crt /usr/local/share/ca-certificates/*/*.crt 2>/dev/null || true)"
  fi
  export EXTRA_CA_CERTS
}

# BuildKit needs the buildx plugin; without it, the legacy builder (choose_builder, docker_build).
source "$ROOT/scripts/docker-build-lib.sh"

COMPOSE_PROJECT_NAME="${COMPOSE_PROJECT_NAME:-$(env_file_value COMPOSE_PROJECT_NAME)}"
export COMPOSE_PROJECT_NAME="${COMPOSE_PROJECT_NAME:-$(project_for_checkout)}"
