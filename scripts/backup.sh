#!/usr/bin/env bash
# Backups of Tidewatch's PostgreSQL cluster with pgBackRest: a base backup plus every WAL segment archived, so
# the database can be restored to any moment since the oldest backup kept.
#
#   setup                      write the pgBackRest configuration, turn on WAL archiving, create the stanza, check
#   run [full|diff|incr]       take a backup (incr by default; pgBackRest makes the first one full)
#   info                       list the backups and the archived WAL
#   restore [--target=TIME] [--pg-path=DIR] [--delta]
#                              restore into a stopped cluster's data directory (or an empty DIR), to TIME
#                              ('2026-12-04 10:15:00+00') or, without it, to the end of the archived WAL
#
# Run it as root (or a sudoer): pgBackRest itself runs as the owner of the data directory. Settings:
#   DATABASE_ADMIN_URL     a superuser of the cluster (default postgresql://postgres@127.0.0.1:5432/tidewatch)
#   BACKUP_STANZA          the cluster's name in the repository (tidewatch)
#   BACKUP_REPO            the repository (/var/lib/pgbackrest); put it on another disk, or see the README for S3
#   BACKUP_CONFIG          the configuration file written by setup (/etc/pgbackrest/pgbackrest.conf)
#   BACKUP_RETENTION_FULL  full backups kept, with the WAL needed to restore from them (2)
#   BACKUP_ARCHIVE_TIMEOUT seconds after which a partly filled WAL segment is archived anyway (60): the most a
#                          quiet cluster can lose if its disk dies
#   BACKUP_LOG_PATH, BACKUP_LOCK_PATH  pgBackRest's log and lock folders (/var/log/pgbackrest, /tmp/pgbackrest)
set -euo pipefail

admin_url="${DATABASE_ADMIN_URL:-postgresql://postgres@127.0.0.1:5432/tidewatch}"
stanza="${BACKUP_STANZA:-tidewatch}"
repo="${BACKUP_REPO:-/var/lib/pgbackrest}"
config="${BACKUP_CONFIG:-/etc/pgbackrest/pgbackrest.conf}"
retention_full="${BACKUP_RETENTION_FULL:-2}"
archive_timeout="${BACKUP_ARCHIVE_TIMEOUT:-60}"
log_path="${BACKUP_LOG_PATH:-/var/log/pgbackrest}"
lock_path="${BACKUP_LOCK_PATH:-/tmp/pgbackrest}"
marker="# Written by Tidewatch's scripts/backup.sh"

fail() {
  echo "backup: $*" >&2
  exit 1
}

command -v pgbackrest >/dev/null || fail "pgBackRest is not installed (apt-get install pgbackrest, or bash scripts/ensure-services.sh)"

sql() { psql "$admin_url" -XtAq -v ON_ERROR_STOP=1 -c "$1"; }

# The data directory's owner runs pgBackRest, as PostgreSQL runs archive-push: the repository stays theirs.
as_owner() {
  local owner="$1"
  shift
  if [ "$(id -un)" = "$owner" ]; then
    "$@"
  elif [ "$(id -u)" = 0 ]; then
    runuser -u "$owner" -- "$@"
  else
    sudo -u "$owner" "$@"
  fi
}

# The data directory named in the configuration (the cluster may be stopped, as for a restore).
configured_pg_path() {
  [ -f "$config" ] || fail "no configuration at $config: run setup first"
  sed -n "/^\[$stanza\]/,/^\[/s/^pg1-path=//p" "$config" | head -n 1
}

pgbackrest_as_owner() {
  local data_dir="$1"
  shift
  as_owner "$(stat -c %U "$data_dir")" pgbackrest --config="$config" --stanza="$stanza" "$@"
}

setup() {
  [ "$(sql 'SELECT rolsuper FROM pg_roles WHERE rolname = current_user')" = t ] ||
    fail "DATABASE_ADMIN_URL must name a superuser: turning on WAL archiving needs one"
  local data_dir port socket_dir pg_user owner
  data_dir=$(sql 'SHOW data_directory')
  port=$(sql 'SHOW port')
  socket_dir=$(sql 'SHOW unix_socket_directories' | cut -d, -f1 | xargs)
  pg_user=$(sql 'SELECT current_user')
  owner=$(stat -c %U "$data_dir")

  if [ -f "$config" ] && ! grep -qF "$marker" "$config"; then
    fail "$config exists and was not written by this script; move it aside or set BACKUP_CONFIG"
  fi
  mkdir -p "$(dirname "$config")" "$repo" "$log_path" "$lock_path"
  chown "$owner" "$repo" "$log_path" "$lock_path" 2>/dev/null || true
  chmod 750 "$repo"
  cat >"$config" <<EOF
$marker for the cluster at $data_dir.
[global]
repo1-path=$repo
repo1-retention-full=$retention_full
log-path=$log_path
lock-path=$lock_path
log-level-console=warn
log-level-file=info
# Start the backup at once (an immediate checkpoint) rather than at the next scheduled one.
start-fast=y
compress-type=lz4

[$stanza]
pg1-path=$data_dir
pg1-port=$port
pg1-socket-path=$socket_dir
pg1-user=$pg_user
EOF
  chown "$owner" "$config" 2>/dev/null || true
  chmod 640 "$config"

  local archive_command="pgbackrest --config=$config --stanza=$stanza archive-push %p"
  if [ "$(sql 'SHOW archive_command')" != "$archive_command" ] || [ "$(sql 'SHOW archive_mode')" != on ] ||
    [ "$(sql "SELECT setting FROM pg_settings WHERE name = 'archive_timeout'")" != "$archive_timeout" ]; then
    echo "backup: turning on WAL archiving (ALTER SYSTEM: archive_mode, archive_command, archive_timeout)"
    sql "ALTER SYSTEM SET archive_mode = 'on'"
    sql "ALTER SYSTEM SET archive_command = '${archive_command//\'/\'\'}'"
    sql "ALTER SYSTEM SET archive_timeout = '${archive_timeout}s'"
    [ "$(sql 'SHOW wal_level')" != minimal ] || sql "ALTER SYSTEM SET wal_level = 'replica'"
    sql 'SELECT pg_reload_conf()' >/dev/null
    sleep 1
  fi
  if [ -n "$(sql "SELECT string_agg(name, ', ') FROM pg_settings WHERE pending_restart")" ] ||
    [ "$(sql 'SHOW archive_mode')" != on ]; then
    cat >&2 <<EOF
backup: WAL archiving is configured but PostgreSQL must restart to turn it on. Restart it, e.g.
  systemctl restart postgresql        (or: pg_ctlcluster 15 main restart)
then run setup again to create the stanza and check that archiving works.
EOF
    exit 3
  fi

  pgbackrest_as_owner "$data_dir" stanza-create
  pgbackrest_as_owner "$data_dir" check
  echo "backup: stanza '$stanza' is ready: WAL is archived to $repo. Take the first backup with: npm run backup -- full"
}

run_backup() {
  local type="${1:-incr}"
  case "$type" in full | diff | incr) ;; *) fail "the backup type is full, diff or incr, not '$type'" ;; esac
  local data_dir
  data_dir=$(configured_pg_path)
  pgbackrest_as_owner "$data_dir" --type="$type" backup
  pgbackrest_as_owner "$data_dir" info
}

restore() {
  local target="" pg_path="" delta=()
  for arg in "$@"; do
    case "$arg" in
      --target=*) target="${arg#--target=}" ;;
      --pg-path=*) pg_path="${arg#--pg-path=}" ;;
      --delta) delta=(--delta) ;;
      *) fail "unknown restore option '$arg'" ;;
    esac
  done
  local configured
  configured=$(configured_pg_path)
  [ -n "$pg_path" ] || pg_path="$configured"
  [ ! -f "$pg_path/postmaster.pid" ] || fail "PostgreSQL is running on $pg_path: stop it first"
  local options=(--target-action=promote)
  if [ -n "$target" ]; then options+=(--type=time "--target=$target"); fi
  # A copy restored elsewhere must not push its WAL into this cluster's archive.
  if [ "$pg_path" != "$configured" ]; then options+=(--archive-mode=off); fi
  local owner
  owner=$(stat -c %U "$repo")
  mkdir -p "$pg_path"
  chown "$owner" "$pg_path" 2>/dev/null || true
  chmod 700 "$pg_path"
  as_owner "$owner" pgbackrest --config="$config" --stanza="$stanza" --pg1-path="$pg_path" \
    "${delta[@]}" "${options[@]}" restore
  echo "backup: restored into $pg_path. Start PostgreSQL on it: it replays the archived WAL${target:+ up to $target} and opens."
}

case "${1:-}" in
  setup) setup ;;
  run) run_backup "${2:-incr}" ;;
  info) pgbackrest_as_owner "$(configured_pg_path)" info ;;
  restore)
    shift
    restore "$@"
    ;;
  *) fail "usage: backup.sh setup | run [full|diff|incr] | info | restore [--target=TIME] [--pg-path=DIR] [--delta]" ;;
esac
