#!/usr/bin/env bash
# npm run stack: the whole service on this machine, with one command.
#
#   base images (pulled, or local stand-ins where no registry answers: scripts/standin-images.sh)
#   → the sample model image (npm run model:build)
#   → an API token in .env if there is none, the Docker socket's group and the compose project in .env
#   → docker compose build + up -d (or docker-compose v1) → waits for /readyz → prints how to call it,
#     with the token (the new one, or the one .env already has)
#
# Usage: npm run stack [-- --no-model] [-- --benchmarks] [-- <more docker compose up options, e.g. --scale worker=3>]
#   --no-cli      skip building the host's CLI (`npx modelrun`; built once, when apps/cli/dist is missing)
#   --benchmarks  also serve the sample digits benchmark (docker-compose.benchmarks.yml; kept in
#                 .env as COMPOSE_FILE, so later starts and stack:down use it too)
# Stop it with `npm run stack:down` (add `-- -v` to delete Redis's data and the run records too).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/stack-lib.sh"

build_model=1
build_cli=1
benchmarks=0
up_args=()
for arg in "$@"; do
  case "$arg" in
    --no-model) build_model=0 ;;
    --benchmarks) benchmarks=1 ;;
    --no-cli) build_cli=0 ;;
    *) up_args+=("$arg") ;;
  esac
done
[[ "$benchmarks" == 0 || "$build_model" == 1 ]] || die "--benchmarks needs the evaluator image and reference volume that the model build makes: leave out --no-model"

command -v docker >/dev/null || die "docker is not installed (Debian: apt-get install docker.io)"
docker info >/dev/null 2>&1 || die "the Docker engine does not answer: start dockerd, or set DOCKER_HOST"
find_compose
# Before any build, so that the model build (a child) does not say it again.
choose_builder

bash scripts/standin-images.sh
if [[ "$build_model" == 1 && -f model/Dockerfile ]]; then
  say "building the sample model image (npm run model:build)"
  npm run --silent model:build
fi

# .env holds what the compose file needs; values already in the environment win.
touch .env
new_token=""
if [[ -z "${API_TOKENS:-}" && -z "$(env_file_value API_TOKENS)" ]]; then
  new_token="$(node -e 'process.stdout.write(require("crypto").randomBytes(24).toString("hex"))')"
  printf '\n# Written by npm run stack: the API bearer token(s), comma-separated.\nAPI_TOKENS=%s\n' "$new_token" >>.env
  say "generated an API token and wrote it to .env"
fi
if [[ -z "${DOCKER_GID:-}" && -z "$(env_file_value DOCKER_GID)" ]]; then
  printf '\n# Written by npm run stack: the group of the Docker socket, for the worker (group_add).\nDOCKER_GID=%s\n' "$(socket_gid)" >>.env
fi
if [[ -z "$(env_file_value COMPOSE_PROJECT_NAME)" ]]; then
  printf '\n# Written by npm run stack: the compose project (its containers and volumes), from this checkout.\nCOMPOSE_PROJECT_NAME=%s\n' "$COMPOSE_PROJECT_NAME" >>.env
  say "compose project: $COMPOSE_PROJECT_NAME (in .env)"
fi
if [[ "$benchmarks" == 1 && -z "${COMPOSE_FILE:-}" && "$(env_file_value COMPOSE_FILE)" != *docker-compose.benchmarks.yml* ]]; then
  printf '\n# Written by npm run stack -- --benchmarks: the stack serves the sample digits benchmark.\nCOMPOSE_FILE=docker-compose.yml:docker-compose.benchmarks.yml\n' >>.env
  say "serving the sample digits benchmark (COMPOSE_FILE in .env; remove that line to stop)"
fi
export_build_ca

say "${COMPOSE[*]} build"
if [[ "${DOCKER_BUILDKIT:-}" == 0 ]]; then
  "${COMPOSE[@]}" build 2> >(drop_legacy_notice >&2)
else
  "${COMPOSE[@]}" build
fi
say "${COMPOSE[*]} up -d ${up_args[*]}"
"${COMPOSE[@]}" up -d "${up_args[@]}"

publish="${API_PUBLISH:-$(env_file_value API_PUBLISH)}"
publish="${publish:-8081}"
[[ "$publish" == *:* ]] && url="http://$publish" || url="http://localhost:$publish"
url="${url/0.0.0.0/localhost}"

# The quick start calls `npx modelrun` next: the command needs the workspace installed and built.
if [[ "$build_cli" == 1 && ! -f apps/cli/dist/main.js ]]; then
  say "building the CLI for npx modelrun (once; --no-cli skips it)"
  [[ -x node_modules/.bin/tsc ]] || npm ci --no-audit --no-fund --loglevel=error
  npx --no-install tsc -b apps/cli
fi

say "waiting for $url/readyz"
# Redis comes up in seconds; the API then connects and indexes the volume.
if ! node -e '
  // node:http, not fetch: Node 20 fetch can hang without a handle on a reset connection.
  const http = require("http"), url = process.argv[1], deadline = Date.now() + 120000;
  const attempt = () => {
    let settled = false;
    const next = () => { if (settled) return; settled = true; if (Date.now() > deadline) process.exit(1); setTimeout(attempt, 500); };
    const req = http.get(url, { timeout: 3000 }, (res) => { res.resume(); if (res.statusCode === 200) process.exit(0); next(); });
    req.on("timeout", () => req.destroy());
    req.on("error", next);
  };
  attempt();' "$url/readyz"; then
  "${COMPOSE[@]}" ps
  "${COMPOSE[@]}" logs --tail 40 api
  die "$url/readyz did not answer 200 within 120 s (status and API logs above)"
fi

# The token to call it with: the one made now, else the first of API_TOKENS (environment or .env).
tokens="${API_TOKENS:-$(env_file_value API_TOKENS)}"
token="${new_token:-${tokens%%,*}}"
benchmark_line=""
if [[ "$(env_file_value COMPOSE_FILE)${COMPOSE_FILE:-}" == *docker-compose.benchmarks.yml* ]]; then
  benchmark_line="  benchmark:     curl -s -H 'Authorization: Bearer $token' -H 'Content-Type: application/json' -d '{\"image\": \"modelrun/sample-model:latest\", \"name\": \"digits-svm\", \"benchmark\": \"digits\"}' $url/v1/models"
fi
cat <<MSG

modelrun is up at $url
  API token (API_TOKENS in .env${API_TOKENS:+ or the environment}): $token
  web app: open $url in a browser and sign in with the token (API reference: $url/docs)
  curl -s $url/readyz
  curl -s -H 'Authorization: Bearer $token' -H 'Content-Type: application/json' \\
       -d '{"image": "modelrun/sample-model:latest", "name": "digits-svm"}' $url/v1/models
  curl -s -H 'Authorization: Bearer $token' $url/v1/models
  dashboard: $url/admin/queues
$benchmark_line

  more workers:  ${COMPOSE[*]} up -d --scale worker=3
  logs:          ${COMPOSE[*]} logs -f api worker
  stop:          npm run stack:down   (add -- -v to delete Redis's data and the run records)
MSG
