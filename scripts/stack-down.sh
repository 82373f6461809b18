#!/usr/bin/env bash
# npm run stack:down: stops the stack that `npm run stack` started. Arguments go to `down`:
# `npm run stack:down -- -v` also deletes the volumes (Redis's data and every run record).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/stack-lib.sh"
find_compose
# `down` needs no real token or group, but the compose file insists that they are set.
if [[ -z "${API_TOKENS:-}" && -z "$(env_file_value API_TOKENS)" ]]; then export API_TOKENS=unused-by-compose-down; fi
if [[ -z "${DOCKER_GID:-}" && -z "$(env_file_value DOCKER_GID)" ]]; then export DOCKER_GID=0; fi
say "${COMPOSE[*]} down $*"
"${COMPOSE[@]}" down "$@"
