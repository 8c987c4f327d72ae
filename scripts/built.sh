#!/usr/bin/env bash
# Makes sure the compiled server and database tools (apps/server/dist, packages/db/dist) are there and current:
# builds them when missing or older than their sources, where the development tools are installed. A production
# install (npm ci --omit=dev) has no build tools and runs the dist/ it was shipped with. Speaks on stderr only, so
# that the tools' own output can be piped.
set -euo pipefail
cd "$(dirname "$0")/.."

stamps=(apps/server/dist/main.js packages/db/dist/migrate.js)
sources=(apps/server/src packages/db/src packages/db/scripts packages/shared/src)

state=current
for stamp in "${stamps[@]}"; do
  if [ ! -f "$stamp" ]; then
    state=missing
  elif [ "$state" = current ] &&
    [ -n "$(find "${sources[@]}" -type f -newer "$stamp" ! -name '*.test.ts' -print -quit 2>/dev/null)" ]; then
    state=stale
  fi
done
[ "$state" = current ] && exit 0

if [ -x node_modules/.bin/tsx ] && [ -d node_modules/esbuild ]; then
  echo "Building the server (dist/ is $state)..." >&2
  npm run --silent build -w @tidewatch/db -w @tidewatch/server >&2
elif [ "$state" = missing ]; then
  echo "apps/server/dist or packages/db/dist is missing and this install has no build tools (a production" >&2
  echo "install): run 'npm run build' where the development dependencies are installed, then copy dist/ here." >&2
  exit 1
else
  echo "Note: dist/ is older than the sources, and this install cannot build; running dist/ as it is." >&2
fi
