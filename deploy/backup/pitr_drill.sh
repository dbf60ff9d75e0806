#!/usr/bin/env bash
# Point-in-time recovery, tried end to end on a throwaway cluster (deploy/backup/README.md,
# "Larger councils"): initdb on a spare loopback port with WAL archiving, a KeyCare database
# with the demo data, pg_basebackup, then a "mistake" (every daily log deleted) after a
# recorded time; recovery of the base backup plus the archived WAL to just before the mistake
# on a second port; `keycare audit verify` and the daily logs checked there. Everything lives
# in one temporary directory, removed on exit with both clusters stopped.
#
#   bash deploy/backup/pitr_drill.sh        (as root: the clusters run as the user postgres)
#
# KEYCARE_BIN as for drill.sh; KEYCARE_PITR_PORT (default 55433; the recovered cluster uses
# the next port). Not part of CI: it makes and starts two clusters of its own.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
if [ -z "${KEYCARE_BIN:-}" ]; then
  if [ -x "$repo/target/debug/keycare" ]; then KEYCARE_BIN="$repo/target/debug/keycare"; else KEYCARE_BIN=keycare; fi
fi
export KEYCARE_LOG="${KEYCARE_LOG:-warn}"
unset PGHOST PGHOSTADDR PGPORT PGDATABASE PGUSER PGSERVICE KEYCARE_DATABASE_URL
bin="${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)}"
p1="${KEYCARE_PITR_PORT:-55433}"
p2=$((p1 + 1))
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

t0=$(date +%s)
passed=0
ok() { passed=$((passed + 1)); echo "pitr: ok   $*"; }
fail() { echo "pitr: FAIL $*" >&2; exit 1; }

for p in "$p1" "$p2"; do
  ! "$bin/pg_isready" -h 127.0.0.1 -p "$p" -q || fail "something already listens on 127.0.0.1:$p (KEYCARE_PITR_PORT)"
done
work="$(mktemp -d "${TMPDIR:-/tmp}/keycare-pitr.XXXXXX")"
chmod 755 "$work"
[ "$(id -u)" = 0 ] && chown postgres: "$work"
server=""
cleanup() {
  local rc=$?
  if [ -n "$server" ]; then kill -TERM "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  for d in primary recovered; do
    [ -f "$work/$d/postmaster.pid" ] && as_pg "$bin/pg_ctl" -D "$work/$d" -m immediate -w stop >/dev/null 2>&1 || true
  done
  if [ "$rc" -ne 0 ]; then
    for f in "$work"/*.log; do [ -s "$f" ] && { echo "--- $(basename "$f")" >&2; tail -n 15 "$f" >&2; }; done
  fi
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the primary: WAL archived to $work/wal (on a real server: another disk or object store)
as_pg mkdir "$work/wal"
as_pg "$bin/initdb" -D "$work/primary" -U postgres --auth=trust -E UTF8 >"$work/initdb.log"
cat >>"$work/primary/postgresql.conf" <<CONF
port = $p1
listen_addresses = '127.0.0.1'
unix_socket_directories = '$work'
wal_level = replica
archive_mode = on
archive_command = 'test ! -f $work/wal/%f && cp %p $work/wal/%f'
archive_timeout = 60
CONF
as_pg "$bin/pg_ctl" -D "$work/primary" -l "$work/primary.log" -w start >/dev/null
u1="postgres://postgres@127.0.0.1:$p1"
"$bin/psql" "$u1/postgres" -X -q -v ON_ERROR_STOP=1 <<'SQL'
CREATE ROLE keycare_owner LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;
CREATE DATABASE keycare OWNER keycare_owner;
CREATE ROLE keycare_app NOLOGIN NOSUPERUSER NOBYPASSRLS;
GRANT keycare_app TO keycare_owner WITH ADMIN OPTION;
SQL
owner1="postgres://keycare_owner@127.0.0.1:$p1/keycare"
"$KEYCARE_BIN" migrate up --database-url "$owner1" --data-dir "$work/data" >"$work/keycare.log" 2>&1
"$KEYCARE_BIN" seed demo --database-url "$owner1" --data-dir "$work/data" >>"$work/keycare.log" 2>&1
# A few reads through the gateway, so the access log has links to verify after recovery.
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"$KEYCARE_BIN" serve --demo --addr "127.0.0.1:$port" --database-url "$owner1" --data-dir "$work/data" >"$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 1 150); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$port/readyz")" = 200 ] && break
  kill -0 "$server" 2>/dev/null || fail "the gateway exited"
  sleep 0.2
done
token="$("$KEYCARE_BIN" token keycarer.oak@northshire.example --database-url "$owner1" --data-dir "$work/data")"
for _ in 1 2 3; do
  curl -sS --max-time 15 -H "authorization: Bearer $token" -H 'content-type: application/json' \
    --data '{"query":"{ children(filter: { myKeyChildren: true }) { edges { node { id legalName } } } }"}' \
    "http://127.0.0.1:$port/graphql" | grep -q '"legalName"' || fail "a read through the gateway"
done
kill -TERM "$server"; wait "$server" || true
server=""
ok "primary on 127.0.0.1:$p1 with archive_mode = on; KeyCare migrated, the demo loaded, 3 reads through the gateway"

# --- the base backup (taken while the primary runs)
as_pg "$bin/pg_basebackup" -d "$u1/postgres" -D "$work/base" -Ft -z -X fetch -c fast --label keycare-pitr-drill
ok "pg_basebackup: $(du -sh "$work/base" | cut -f1) (tar, gzip, WAL needed for consistency included)"

# --- work after the base backup, then the mistake
"$bin/psql" "$u1/keycare" -X -q -v ON_ERROR_STOP=1 -c "CREATE TABLE pitr_marker(note text); INSERT INTO pitr_marker VALUES ('after the base backup')"
logs="$("$bin/psql" "$u1/keycare" -X -At -c "SELECT count(*) FROM daily_logs")"
verify_before="$("$KEYCARE_BIN" audit verify --database-url "$owner1")"
sleep 1
target="$("$bin/psql" "$u1/postgres" -X -At -c "SELECT now()")"
sleep 1
"$bin/psql" "$u1/keycare" -X -q -v ON_ERROR_STOP=1 -c "DELETE FROM daily_logs"
gone="$("$bin/psql" "$u1/keycare" -X -At -c "SELECT count(*) FROM daily_logs")"
seg="$("$bin/psql" "$u1/postgres" -X -At -c "SELECT pg_walfile_name(pg_switch_wal())")"
for _ in $(seq 1 100); do [ -f "$work/wal/$seg" ] && break; sleep 0.2; done
[ -f "$work/wal/$seg" ] || fail "the WAL segment $seg holding the mistake was not archived"
ok "$logs daily logs at $target; then all deleted ($gone left); WAL switched and archived ($(ls "$work/wal" | wc -l) files)"
as_pg "$bin/pg_ctl" -D "$work/primary" -m fast -w stop >/dev/null

# --- recovery: the base backup, restore_command from the archive, stop at the target time
as_pg mkdir -m 700 "$work/recovered"
as_pg tar -xzf "$work/base/base.tar.gz" -C "$work/recovered"
cat >>"$work/recovered/postgresql.conf" <<CONF
port = $p2
archive_mode = off
restore_command = 'cp $work/wal/%f %p'
recovery_target_time = '$target'
recovery_target_action = 'promote'
CONF
as_pg touch "$work/recovered/recovery.signal"
as_pg "$bin/pg_ctl" -D "$work/recovered" -l "$work/recovered.log" -t 60 -w start >/dev/null
u2="postgres://postgres@127.0.0.1:$p2"
for _ in $(seq 1 100); do
  [ "$("$bin/psql" "$u2/postgres" -X -At -c "SELECT pg_is_in_recovery()")" = f ] && break
  sleep 0.2
done
[ "$("$bin/psql" "$u2/postgres" -X -At -c "SELECT pg_is_in_recovery()")" = f ] || fail "the recovered cluster did not finish recovery"
grep -q "recovery stopping before commit" "$work/recovered.log" || fail "recovery did not stop at the target time"
ok "recovered on 127.0.0.1:$p2: $(grep -o 'recovery stopping before commit[^,]*' "$work/recovered.log" | head -1); promoted"

back="$("$bin/psql" "$u2/keycare" -X -At -c "SELECT count(*) FROM daily_logs")"
marker="$("$bin/psql" "$u2/keycare" -X -At -c "SELECT count(*) FROM pitr_marker")"
[ "$back" = "$logs" ] && [ "$marker" = 1 ] || fail "recovered: $back daily logs (expected $logs), marker rows $marker"
ok "the deleted daily logs are back ($back) and the work after the base backup is kept (pitr_marker)"
owner2="postgres://keycare_owner@127.0.0.1:$p2/keycare"
verify_after="$("$KEYCARE_BIN" audit verify --database-url "$owner2")" || fail "audit verify on the recovered cluster"
[ "$verify_after" = "$verify_before" ] || fail "audit verify: before '$verify_before', after '$verify_after'"
pending="$("$KEYCARE_BIN" migrate status --database-url "$owner2" | grep -vc '^applied ' || true)"
[ "$pending" = 0 ] || fail "$pending migrations pending on the recovered cluster"
ok "keycare audit verify passes on the recovered cluster ($(echo "$verify_after" | paste -sd ';' | sed 's/;/; /g')); no migration pending"
echo "pitr: $passed checks passed in $(( $(date +%s) - t0 )) s"
