# Shared by scripts/stack.sh and scripts/stack-down.sh (sourced, not run).
# Finds the compose command and prepares the variables docker-compose.yml needs.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

say() { printf 'stack: %s\n' "$*"; }
die() { printf 'stack: error: %s\n' "$*" >&2; exit 1; }

# The project name, so that `docker compose ps` in this folder finds the stack whatever the
# folder is called. Also written to .env by stack.sh.
export COMPOSE_PROJECT_NAME="${COMPOSE_PROJECT_NAME:-modelrun}"

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
  [[ -f .env ]] && sed -n "s/^[[:space:]]*$1=\\(.*\\)\$/\\1/p" .env | tail -n1 | sed 's/^["'\'']//; s/["'\'']$//'
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

# BuildKit needs the buildx plugin; without it, the legacy builder (the Dockerfiles need nothing newer).
choose_builder() {
  if [[ -z "${DOCKER_BUILDKIT:-}" ]] && ! docker buildx version >/dev/null 2>&1; then
    export DOCKER_BUILDKIT=0
  fi
}
