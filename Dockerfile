# The api and worker images, as two targets of one multi-stage build:
#   docker build --target api    -t modelrun/api .
#   docker build --target worker -t modelrun/worker .
# One file because both need the whole workspace to compile (tsc -b over packages/ and apps/)
# and share every stage up to their own production dependencies; the second target builds from
# the first one's cache. docker-compose.yml builds both.
#
# Works with the legacy builder (DOCKER_BUILDKIT=0) as well as BuildKit. The install steps reach
# the npm registry; where containers have no network of their own, build with `--network host`
# (docker-compose.yml does).

ARG NODE_IMAGE=node:20.20.2-bookworm-slim

# ---- base: Node plus npm settings for every build stage ---------------------------------------
FROM ${NODE_IMAGE} AS base
WORKDIR /app
COPY docker/bundle.sh /usr/local/bin/bundle
ENV NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false NPM_CONFIG_LOGLEVEL=warn
# PEM certificates to trust on top of Node's own, for machines whose way to the registry
# re-signs TLS (a proxy with its own CA). Empty elsewhere. Only the build stages see it.
ARG EXTRA_CA_CERTS=""
RUN printf '#!/bin/sh\n[ -s /usr/local/share/build-ca.pem ] && export NODE_EXTRA_CA_CERTS=/usr/local/share/build-ca.pem\nexec npm "$@"\n' > /usr/local/bin/build-npm \
 && chmod 755 /usr/local/bin/build-npm \
 && if [ -n "$EXTRA_CA_CERTS" ]; then printf '%s\n' "$EXTRA_CA_CERTS" > /usr/local/share/build-ca.pem; fi

# ---- manifests: the lockfile and every workspace's package.json, nothing else ------------------
# Copying only these into the install stages keeps `npm ci` cached until dependencies change.
FROM base AS manifests
COPY package.json package-lock.json ./
COPY packages ./packages
COPY apps ./apps
RUN find packages apps -type f ! -regex '^\(packages\|apps\)/[^/]*/package\.json$' -delete \
 && find packages apps -mindepth 1 -type d -empty -delete

# ---- build: all dependencies, compile every workspace ------------------------------------------
FROM base AS build
COPY --from=manifests /app ./
# --ignore-scripts: nothing here needs an install script (native add-ons of ssh2, cpu-features and
# msgpackr-extract are optional and have pure-JS fallbacks; the root package.json says so too).
RUN build-npm ci --ignore-scripts
COPY tsconfig.json tsconfig.base.json ./
# npm run build copies the Redis scripts (.lua) beside the compiled code with it.
COPY scripts/copy-lua.mjs ./scripts/
COPY packages ./packages
COPY apps ./apps
RUN npm run build \
 && mkdir /out \
 && for ws in packages/* apps/*; do \
      if [ -d "$ws/dist" ]; then mkdir -p "/out/$ws" && cp "$ws/package.json" "/out/$ws/" && cp -r "$ws/dist" "/out/$ws/dist"; fi; \
    done \
 && find /out -name '*.map' -delete -o -name '*.d.ts' -delete -o -name '.tsbuildinfo' -delete

# ---- bundle-*: one app's production dependencies plus the compiled workspaces it links ---------
# The same three steps for each app (docker/bundle.sh keeps what the app links, removes the rest);
# `npm ci` stays a layer of its own, cached until the dependencies change. bundle-worker sits
# after the api target because the legacy builder builds every stage above its target.
FROM base AS bundle-api
COPY --from=manifests /app ./
RUN build-npm ci --omit=dev --ignore-scripts --workspace=@modelrun/api
COPY --from=build /out /tmp/out
RUN bundle

# ---- runtime: a fresh Node image, root-owned code, running as the unprivileged `node` user -----
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    LOG_FORMAT=json \
    DATA_DIR=/data
WORKDIR /app
# The shared volume's mount point, owned by `node`, so a fresh named volume starts writable for
# the worker (Docker copies this folder's owner into an empty volume); likewise index/, where the
# API's own volume for its index snapshot is mounted.
RUN mkdir -p /data/index && chown -R node:node /data
COPY docker/healthcheck.mjs /app/healthcheck.mjs
USER node
ENTRYPOINT ["node"]

FROM runtime AS api
COPY --from=bundle-api /app /app
# HOST=0.0.0.0 makes API_TOKENS required: the API refuses to start without tokens.
ENV HOST=0.0.0.0 PORT=8081
EXPOSE 8081
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 CMD ["node", "/app/healthcheck.mjs", "api"]
# A young generation of 64 MiB semi-spaces: loading the index (a million runs: millions of small
# objects that all live on) then takes about half the time, most of it otherwise minor GCs.
CMD ["--max-semi-space-size=64", "apps/api/dist/main.js"]

FROM base AS bundle-worker
COPY --from=manifests /app ./
RUN build-npm ci --omit=dev --ignore-scripts --workspace=@modelrun/worker
COPY --from=build /out /tmp/out
RUN bundle

FROM runtime AS worker
COPY --from=bundle-worker /app /app
# The metrics and health port listens on all interfaces of the container; publish it only if
# you scrape from outside the compose network.
ENV WORKER_METRICS_HOST=0.0.0.0 WORKER_METRICS_PORT=9464
EXPOSE 9464
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 CMD ["node", "/app/healthcheck.mjs", "worker"]
CMD ["apps/worker/dist/main.js"]
