#!/usr/bin/env bash
# Proves that a production install works: builds dist/, copies what a release holds (the tracked files, dist/ and
# the console build) to a temporary directory, installs there with `npm ci --omit=dev` (so it needs the npm
# registry, and is not part of npm test), then on a throw-away database: migrates and seeds with the compiled
# tools, starts the server once with NODE_ENV unset (no pino-pretty there) and once through `npm start` under
# NODE_ENV=production, signs in as the demo administrator and checks the access log's JSON line for that request.
set -euo pipefail
cd "$(dirname "$0")/.."

admin_url="${DATABASE_ADMIN_URL:-postgresql://postgres@127.0.0.1:5432/tidewatch}"
database="tidewatch_install_check_$$"
export DATABASE_ADMIN_URL="${admin_url%/*}/$database"
export DATABASE_URL="postgresql://tidewatch_app@${DATABASE_ADMIN_URL#*@}"
export PORT=$((20000 + RANDOM % 20000)) MQTT_PORT=$((40000 + RANDOM % 20000))
export SEED=never ELECTRON_SKIP_BINARY_DOWNLOAD=1
work=$(mktemp -d)
server=""

cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; fi
  psql "${admin_url%/*}/postgres" -qc "DROP DATABASE IF EXISTS $database WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "check-production-install: FAILED: $*" >&2
  exit 1
}

echo "== build"
npm run --silent build >/dev/null
shipped=(apps/server/dist packages/db/dist)
[ -f apps/desktop/out/renderer/index.html ] && shipped+=(apps/desktop/out/renderer)
git ls-files -z --cached --others --exclude-standard |
  tar --null --ignore-failed-read -T - -cf - 2>/dev/null | tar -xf - -C "$work"
tar -cf - "${shipped[@]}" | tar -xf - -C "$work"
cd "$work"

echo "== npm ci --omit=dev in $work"
npm ci --omit=dev --no-audit --no-fund --loglevel=error >/dev/null
for tool in tsx esbuild pino-pretty; do
  [ ! -e "node_modules/$tool" ] || fail "the production install has the development tool $tool"
done

echo "== migrate and seed with the compiled tools"
npm run --silent db:migrate | tail -1
npm run --silent db:seed | tail -1

# Waits for /health/ready of a server started in the background, or fails naming its log.
await_ready() {
  for _ in $(seq 1 120); do
    curl -sf "http://127.0.0.1:$PORT/health/ready" >/dev/null && return 0
    kill -0 "$server" 2>/dev/null || fail "the server exited; the end of its log:
$(tail -20 "$1")"
    sleep 0.5
  done
  fail "the server did not get ready; the end of its log:
$(tail -20 "$1")"
}
stop_server() {
  kill -TERM "$server"
  wait "$server" || true
  server=""
}

# One key for both starts: the first seals the server's stored secrets with it.
openssl rand -base64 32 >"$work/secret.key"
export TIDEWATCH_SECRET_KEY_FILE="$work/secret.key"

echo "== start with NODE_ENV unset"
env -u NODE_ENV node apps/server/dist/main.js >"$work/unset.log" 2>&1 &
server=$!
await_ready "$work/unset.log"
stop_server

echo "== start (scripts/start.sh) under NODE_ENV=production"
# Every request in the access log, so that the one below is there whatever the sample.
# start.sh itself (what npm start runs): it execs node, so $! is the server.
NODE_ENV=production LOG_ACCESS_SAMPLE=1 bash scripts/start.sh >"$work/production.log" 2>&1 &
server=$!
await_ready "$work/production.log"

request_id="install-check-$$-$RANDOM"
status=$(curl -s -o "$work/login.json" -w '%{http_code}' -X POST "http://127.0.0.1:$PORT/api/v1/auth/login" \
  -H 'content-type: application/json' -H "x-request-id: $request_id" \
  -d '{"email":"admin@hyderabad-west.example","password":"tidewatch-demo"}')
[ "$status" = 200 ] || fail "the demo administrator's sign-in answered $status: $(cat "$work/login.json")"
sleep 0.5
line=$(grep -F "\"reqId\":\"$request_id\"" "$work/production.log" || true)
[ -n "$line" ] || fail "no access line with reqId $request_id in $work/production.log"
node -e '
  const line = JSON.parse(process.argv[1]);
  for (const key of ["reqId", "method", "url", "status", "durationMs"])
    if (!(key in line)) throw new Error(`the access line lacks ${key}: ${process.argv[1]}`);
' "$line" || fail "the access line is not the expected JSON"
stop_server
echo "access line: $line"
echo "check-production-install: OK"
