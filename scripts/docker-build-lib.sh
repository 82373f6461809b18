# Shared by scripts/model-build.sh and scripts/stack-lib.sh (sourced, not run): `docker build`
# with BuildKit where the buildx plugin is installed, else with the legacy builder.

# The legacy builder prints an indented deprecation notice (and a blank line) on every build; a
# stack start runs several builds. Say it once, in our words (choose_builder), and drop the
# notice from each build's stderr, leaving the rest of its output alone.
drop_legacy_notice() {
  awk '/^DEPRECATED: The legacy builder is deprecated/ { skip = 1; next }
       skip && (/^[[:space:]]/ || /^$/) { next }
       { skip = 0; print; fflush() }'
}

# Sets DOCKER_BUILDKIT (unless set) and says once which builder builds the images.
choose_builder() {
  if [[ -z "${DOCKER_BUILDKIT:-}" ]] && ! docker buildx version >/dev/null 2>&1; then
    export DOCKER_BUILDKIT=0
    if [[ -z "${MODELRUN_BUILDER_SAID:-}" ]]; then
      printf '%s\n' "note: Docker's buildx plugin is not installed, so images are built with the legacy builder (Docker calls it deprecated; the Dockerfiles need nothing newer). Install docker-buildx to build with BuildKit."
      export MODELRUN_BUILDER_SAID=1
    fi
  fi
}

# `docker build "$@"`, its legacy-builder notice left out (said once by choose_builder).
docker_build() {
  if [[ "${DOCKER_BUILDKIT:-}" == 0 ]]; then
    docker build "$@" 2> >(drop_legacy_notice >&2)
  else
    docker build "$@"
  fi
}
