#!/usr/bin/env bash
# Packs the modelrun CLI for machines without this repository: one self-contained file (esbuild
# bundles commander, zod, the contracts and, for `modelrun validate`, the Docker runner), in an
# npm package with no dependencies. Prints the tarball's path; install it with
#   npm install -g ./modelrun-cli-<version>.tgz
set -euo pipefail
cd "$(dirname "$0")/.."
out=apps/cli/dist/pack
dest=${1:-.}
rm -rf "$out" && mkdir -p "$out"
# development: resolve the workspace packages to their TypeScript sources, so no build is needed.
# *.node and cpu-features: ssh2's optional native speed-ups (it falls back to JavaScript).
npx --no-install esbuild apps/cli/src/main.ts --bundle --platform=node --target=node20 \
  --conditions=development --external:'*.node' --external:cpu-features \
  --banner:js='#!/usr/bin/env node' --outfile="$out/modelrun.js" --log-level=warning
version=$(node -p 'require("./apps/cli/package.json").version')
cat > "$out/package.json" <<JSON
{
  "name": "modelrun-cli",
  "version": "$version",
  "description": "modelrun's command line: submit runs and watch them, read the leaderboard, check a model image",
  "license": "MIT",
  "bin": { "modelrun": "modelrun.js" },
  "files": ["modelrun.js"],
  "engines": { "node": ">=20.19" }
}
JSON
tarball=$(cd "$out" && npm pack --silent)
mv "$out/$tarball" "$dest/"
echo "$dest/$tarball"
