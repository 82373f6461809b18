#!/bin/sh
# Makes /app one app's runnable bundle, in the image build (Dockerfile, bundle-* stages):
# `npm ci --omit=dev --workspace=<app>` has linked exactly the workspaces the app depends on into
# node_modules/@modelrun/; each of those gets its compiled dist from /tmp/out, every other
# workspace is removed. So the api image holds no runner and no dockerode.
set -eu
# valibot (under @bull-board/api) lists typescript as an optional peer, so npm keeps the
# compiler (~30 MB) even with --omit=dev; nothing needs it at run time.
rm -rf node_modules/typescript node_modules/@typescript
for link in node_modules/@modelrun/*; do
  ws="$(readlink -f "$link")"
  ws="${ws#/app/}"
  cp -r "/tmp/out/$ws/dist" "$ws/dist"
  touch "$ws/.keep"
done
for ws in packages/* apps/*; do
  if [ -e "$ws/.keep" ]; then rm "$ws/.keep"; else rm -rf "$ws"; fi
done
rm -rf /tmp/out /root/.npm
