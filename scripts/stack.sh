#!/usr/bin/env bash
# npm run stack: the whole service on this machine, with one command.
#
#   base images (pulled, or local stand-ins where no registry answers: scripts/standin-images.sh)
#   → the sample model image (npm run model:build)
#   → an API token in .env if there is none (printed once), the Docker socket's group in .env
#   → docker compose build + up -d (or docker-compose v1) → waits for /readyz → prints how to call it
#
# Usage: npm run stack [-- --no-model] [-- <more docker compose up options, e.g. --scale worker=3>]
# Stop it with `npm run stack:down` (add `-- -v` to delete Redis's data and the run records too).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/stack-lib.sh"

build_model=1
up_args=()
for arg in "$@"; do
  case "$arg" in
    --no-model) build_model=0 ;;
    *) up_args+=("$arg") ;;
  esac
done

command -v docker >/dev/null || die "docker is not installed (Debian: apt-get install docker.io)"
docker info >/dev/null 2>&1 || die "the Docker engine does not answer: start dockerd, or set DOCKER_HOST"
find_compose

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
  printf '\n# Written by npm run stack: the compose project, whatever this folder is called.\nCOMPOSE_PROJECT_NAME=%s\n' "$COMPOSE_PROJECT_NAME" >>.env
fi
export_build_ca
choose_builder

say "${COMPOSE[*]} build"
"${COMPOSE[@]}" build
say "${COMPOSE[*]} up -d ${up_args[*]}"
"${COMPOSE[@]}" up -d "${up_args[@]}"

publish="${API_PUBLISH:-$(env_file_value API_PUBLISH)}"
publish="${publish:-8081}"
[[ "$publish" == *:* ]] && url="http://$publish" || url="http://localhost:$publish"
url="${url/0.0.0.0/localhost}"

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

token="${new_token:-<your token from API_TOKENS in .env>}"
cat <<MSG

modelrun is up at $url
$( [[ -n "$new_token" ]] && printf '  API token (saved in .env as API_TOKENS): %s\n' "$new_token" )
  web app: open $url in a browser and sign in with the token (API reference: $url/docs)
  curl -s $url/readyz
  curl -s -H 'Authorization: Bearer $token' -H 'Content-Type: application/json' \\
       -d '{"image": "modelrun/sample-model:latest", "name": "digits-svm"}' $url/v1/models
  curl -s -H 'Authorization: Bearer $token' $url/v1/models
  dashboard: $url/admin/queues

  more workers:  ${COMPOSE[*]} up -d --scale worker=3
  logs:          ${COMPOSE[*]} logs -f api worker
  stop:          npm run stack:down   (add -- -v to delete Redis's data and the run records)
MSG
