#!/usr/bin/env bash
# Makes sure what Tidewatch needs on this machine is installed and running: PostgreSQL with PostGIS,
# Mosquitto, Redis, pgBackRest, Chromium and promtool. Idempotent and quick when everything is already there.
set -euo pipefail

admin_url="${DATABASE_ADMIN_URL:-postgresql://postgres@127.0.0.1:5432/postgres}"
# Connect to the maintenance database of the same server: the product's database may not exist yet.
server_url="${admin_url%/*}/postgres"

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "ensure-services: need root to run: $*" >&2
    return 1
  fi
}

apt_updated=no
apt_install() {
  if [ "$apt_updated" = no ]; then
    as_root apt-get update -qq
    apt_updated=yes
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

if ! pg_isready -d "$server_url" -q 2>/dev/null; then
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    for version in /etc/postgresql/*; do
      as_root pg_ctlcluster --skip-systemctl-redirect "$(basename "$version")" main start || true
    done
  fi
  for _ in $(seq 1 30); do pg_isready -d "$server_url" -q 2>/dev/null && break; sleep 1; done
  pg_isready -d "$server_url" -q || {
    echo "ensure-services: PostgreSQL is not reachable at $server_url" >&2
    exit 1
  }
fi

postgis=$(psql "$server_url" -tAc "SELECT count(*) FROM pg_available_extensions WHERE name = 'postgis'")
if [ "$postgis" = 0 ]; then
  major=$(psql "$server_url" -tAc "SHOW server_version_num" | cut -c1-2)
  echo "ensure-services: installing PostGIS for PostgreSQL $major"
  apt_install "postgresql-$major-postgis-3"
fi

if [ -d e2e/tests ] && [ ! -x /usr/bin/chromium ]; then
  echo "ensure-services: installing Chromium for the end-to-end tests"
  apt_install chromium
fi

# The handover tests read the PDFs the server makes back with poppler's pdftotext.
if [ -d e2e/tests ] && ! command -v pdftotext >/dev/null; then
  echo "ensure-services: installing poppler-utils (pdftotext) for the report tests"
  apt_install poppler-utils
fi

# Mosquitto: the tests start brokers of their own from its binary; the machine's broker is not needed.
if ! command -v mosquitto >/dev/null && [ ! -x /usr/sbin/mosquitto ]; then
  echo "ensure-services: installing Mosquitto"
  apt_install mosquitto
fi

# pgBackRest: backups (npm run backup:setup) and the fault suite's restore drill.
if ! command -v pgbackrest >/dev/null; then
  echo "ensure-services: installing pgBackRest"
  apt_install pgbackrest
fi

# promtool (Debian's prometheus package): the server's tests check ops/prometheus/ with it. Only the tool is
# wanted; the package's own Prometheus service is left as the package sets it up.
if ! command -v promtool >/dev/null; then
  echo "ensure-services: installing promtool (the prometheus package)"
  apt_install --no-install-recommends prometheus
fi

# Redis, for running several instances (the realtime tests start two).
if ! (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; then
  if ! command -v redis-server >/dev/null; then
    echo "ensure-services: installing Redis"
    apt_install redis-server
  fi
  redis-server --daemonize yes --save '' --appendonly no >/dev/null
  for _ in $(seq 1 30); do (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null && break; sleep 0.2; done
fi
