#!/usr/bin/env bash
# Starts Tidewatch on this machine: services, the compiled server (built first where the sources are newer and
# the development tools are installed), schema, demo data when asked (or on a newcomer's first run), then the
# server, with node on apps/server/dist.
# SEED=auto (default): seed the demo tenants into an empty database, only in development (NODE_ENV unset or
#   development) and when no first administrator is given (TIDEWATCH_ADMIN_EMAIL); a real install starts empty.
# SEED=demo: (re)seed the demo tenants now (refused under NODE_ENV=production). SEED=never: leave the database.
# SIMULATOR=auto (default): in development the server plays the demo devices (the living demo, README);
#   SIMULATOR=off keeps the network as seeded. Never under NODE_ENV=production.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/ensure-services.sh
bash scripts/built.sh
npm run --silent migrate -w @tidewatch/db

seed="${SEED:-auto}"
[ "$seed" = always ] && seed=demo # the old spelling
case "$seed" in
  auto | demo | never) ;;
  *)
    echo "SEED must be auto, demo or never (not \"$seed\")" >&2
    exit 1
    ;;
esac
if [ "$seed" = auto ]; then
  seed=never
  if [ "${NODE_ENV:-development}" = development ] && [ -z "${TIDEWATCH_ADMIN_EMAIL:-}" ]; then
    admin_url="${DATABASE_ADMIN_URL:-postgresql://postgres@127.0.0.1:5432/tidewatch}"
    rows=$(psql "$admin_url" -tAc "SELECT (SELECT count(*) FROM tenants) + (SELECT count(*) FROM users)")
    [ "$rows" = 0 ] && seed=demo
  fi
fi
if [ "$seed" = demo ]; then
  echo "Seeding the demo tenants: their logins are published (README), so the server listens"
  echo "on this machine only (127.0.0.1) while they work, unless DEMO_EXPOSE=true."
  npm run --silent seed -w @tidewatch/db
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
  if [ -x node_modules/.bin/electron-vite ]; then
    echo "Building the web console..."
    npm run --silent build -w @tidewatch/desktop
  elif [ ! -f "$console_html" ]; then
    # A production install (npm ci --omit=dev) cannot build it: ship apps/desktop/out/renderer with dist/.
    echo "The web console is not built and this install cannot build it: serving the API only." >&2
  fi
fi

# node itself, not npm around it: signals reach the server, and no npm process holds memory beside it. Source
# maps (dist/*.map) cost 20 MB and 0.15 s of start: NODE_OPTIONS=--enable-source-maps when stacks must name src/.
exec node apps/server/dist/main.js
