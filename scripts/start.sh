#!/usr/bin/env bash
# Starts Tidewatch on this machine: services, schema, demo data on first run, then the server.
# SEED=always reseeds the demo tenants; SEED=never leaves the database as it is.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/ensure-services.sh
npm run --silent db:migrate

admin_url="${DATABASE_ADMIN_URL:-postgresql://postgres@127.0.0.1:5432/tidewatch}"
tenants=$(psql "$admin_url" -tAc "SELECT count(*) FROM tenants")
if [ "${SEED:-auto}" = always ] || { [ "${SEED:-auto}" = auto ] && [ "$tenants" = 0 ]; }; then
  npm run --silent db:seed
fi

if [ -f apps/server/src/main.ts ]; then
  exec npm run --silent start -w @tidewatch/server
fi
echo "The database is ready. The server (apps/server) is not part of this build yet."
