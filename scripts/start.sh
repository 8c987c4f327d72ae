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

# The embedded MQTT broker wants 1883; where a broker such as Mosquitto already has it, take the next port.
if [ -z "${MQTT_PORT:-}" ] && (exec 3<>/dev/tcp/127.0.0.1/1883) 2>/dev/null; then
  export MQTT_PORT=1884
  echo "Port 1883 is taken (another MQTT broker?); the embedded broker listens on 1884."
fi

# The server serves the web console from the desktop app's renderer build: (re)build it when it is missing or
# older than its sources.
console_html=apps/desktop/out/renderer/index.html
if [ ! -f "$console_html" ] ||
  [ -n "$(find apps/desktop/src apps/desktop/electron.vite.config.ts packages/shared/src -newer "$console_html" -print -quit)" ]; then
  echo "Building the web console..."
  npm run --silent build -w @tidewatch/desktop
fi

exec npm run --silent start -w @tidewatch/server
