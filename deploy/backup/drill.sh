#!/usr/bin/env bash
# The restore drill (deploy/backup/README.md): a scratch KeyCare database with the demo data,
# writes and reads through the real gateway, backup.sh, restore.sh into a second scratch
# database, then checks that the restored one is the same system: the access log verifies,
# the written record is there, the application role and row-level security hold, and the
# gateway serves from it.
#
#   bash deploy/backup/drill.sh
#
# Talks only to PostgreSQL on 127.0.0.1 (KEYCARE_DRILL_PGPORT, default 5432, as the superuser
# KEYCARE_DRILL_PGUSER, default postgres, trust or ~/.pgpass) and to gateways it starts on
# free loopback ports. Starts that PostgreSQL only if it is not running (pg_ctlcluster).
# Everything it makes (two databases, three roles, a temporary directory, its gateways) is
# removed on exit, pass or fail; the shared role keycare_app is made if missing and left.
# KEYCARE_BIN: the binary (default target/debug/keycare of this repository, else `keycare`).
# Prints one line per check, `drill: N checks passed` at the end; exits non-zero on a failure.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
if [ -z "${KEYCARE_BIN:-}" ]; then
  if [ -x "$repo/target/debug/keycare" ]; then KEYCARE_BIN="$repo/target/debug/keycare"; else KEYCARE_BIN=keycare; fi
fi
export KEYCARE_BIN
port_pg="${KEYCARE_DRILL_PGPORT:-5432}"
super="${KEYCARE_DRILL_PGUSER:-postgres}"
# Nothing from the caller's environment may point the drill elsewhere.
unset PGHOST PGHOSTADDR PGPORT PGDATABASE PGUSER PGSERVICE KEYCARE_DATABASE_URL KEYCARE_DATA_DIR \
  KEYCARE_CONFIG KEYCARE_ENVIRONMENT KEYCARE_PUBLIC_URL KEYCARE_ADDR OTEL_EXPORTER_OTLP_ENDPOINT \
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
export KEYCARE_LOG="${KEYCARE_LOG:-warn}" PGCONNECT_TIMEOUT=5

t0=$(date +%s)
passed=0
ok() { passed=$((passed + 1)); echo "drill: ok   $*"; }
fail() { echo "drill: FAIL $*" >&2; exit 1; }

# --- PostgreSQL on loopback, started only if it is not running
if ! pg_isready -h 127.0.0.1 -p "$port_pg" -q; then
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    echo "drill: starting PostgreSQL (pg_ctlcluster)"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start
    for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p "$port_pg" -q && break; sleep 1; done
  fi
  pg_isready -h 127.0.0.1 -p "$port_pg" -q || fail "no PostgreSQL on 127.0.0.1:$port_pg"
fi

sfx="$(date +%s)_$$_$RANDOM"
owner="keycare_drill_owner_$sfx"
backup_login="keycare_drill_backup_$sfx"
gw="keycare_drill_gw_$sfx"
src="keycare_drill_${sfx}_src"
dst="keycare_drill_${sfx}_restored"
pgurl() { echo "postgres://$1@127.0.0.1:$port_pg/$2"; }
admin_url="$(pgurl "$super" postgres)"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/keycare-drill.XXXXXX")"
server_pid=""

sql() { # sql USER DB SQL... : one value, errors fatal
  local u="$1" d="$2"; shift 2
  psql "$(pgurl "$u" "$d")" -X -v ON_ERROR_STOP=1 -At -q "$@"
}
stop_server() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  server_pid=""
}
cleanup() {
  local rc=$?
  stop_server
  for d in "$src" "$dst"; do
    psql "$admin_url" -X -q -c "DROP DATABASE IF EXISTS \"$d\" WITH (FORCE)" >/dev/null 2>&1 || true
  done
  for r in "$gw" "$backup_login" "$owner"; do
    psql "$admin_url" -X -q -c "DROP ROLE IF EXISTS \"$r\"" >/dev/null 2>&1 || true
  done
  if [ "$rc" -ne 0 ] && [ -d "$tmp" ]; then
    for f in "$tmp"/*.log; do [ -s "$f" ] && { echo "--- $(basename "$f") (last lines)" >&2; tail -n 20 "$f" >&2; }; done
  fi
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
start_server() { # start_server LOGNAME ARGS... ; sets server_pid and port
  local name="$1"; shift
  port="$(free_port)"
  "$KEYCARE_BIN" serve --addr "127.0.0.1:$port" --data-dir "$tmp/data" "$@" >"$tmp/$name.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 150); do
    kill -0 "$server_pid" 2>/dev/null || { server_pid=""; fail "$name: the gateway exited (log above)"; }
    [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$port/readyz")" = 200 ] && return 0
    sleep 0.2
  done
  fail "$name: /readyz not 200 within 30 s"
}
gql() { # gql TOKEN QUERY [VARIABLES_JSON] : the response body
  local vars="${3:-}"
  [ -n "$vars" ] || vars='{}'
  python3 -c 'import json, sys; print(json.dumps({"query": sys.argv[1], "variables": json.loads(sys.argv[2])}))' \
    "$2" "$vars" >"$tmp/body.json"
  curl -sS --max-time 15 -H "authorization: Bearer $1" -H 'content-type: application/json' \
    --data-binary @"$tmp/body.json" "http://127.0.0.1:$port/graphql"
}
json() { # json EXPR < body : a Python expression on `d`, the parsed body; fails on errors
  python3 -c 'import json, sys
d = json.load(sys.stdin)
if d.get("errors"): sys.exit("graphql errors: " + json.dumps(d["errors"])[:400])
print(eval(sys.argv[1]))' "$1"
}

# --- scratch roles and source database, as a DBA would make them (deploy/README.md)
sql "$super" postgres <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'keycare_app') THEN
    CREATE ROLE keycare_app NOLOGIN NOSUPERUSER NOBYPASSRLS;
  END IF;
END \$\$;
CREATE ROLE $owner LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
GRANT keycare_app TO $owner WITH ADMIN OPTION;
CREATE ROLE $gw LOGIN NOSUPERUSER NOBYPASSRLS IN ROLE keycare_app;
CREATE ROLE $backup_login LOGIN NOSUPERUSER BYPASSRLS IN ROLE pg_read_all_data;
CREATE DATABASE $src OWNER $owner;
SQL
owner_src="$(pgurl "$owner" "$src")"
owner_dst="$(pgurl "$owner" "$dst")"
"$KEYCARE_BIN" migrate up --database-url "$owner_src" --data-dir "$tmp/data" >"$tmp/migrate.log" 2>&1 || fail "migrate up (log above)"
"$KEYCARE_BIN" seed demo --database-url "$owner_src" --data-dir "$tmp/data" >"$tmp/seed.log" 2>&1 || fail "seed demo (log above)"
ok "source $src: migrate up and seed demo as $owner (not a superuser)"

# --- writes and reads through the real gateway
start_server serve-source --demo --database-url "$owner_src"
token="$("$KEYCARE_BIN" token keycarer.oak@northshire.example --database-url "$owner_src" --data-dir "$tmp/data")"
child="$(gql "$token" '{ children(filter: { myKeyChildren: true }) { edges { node { id } } } }' |
  json 'd["data"]["children"]["edges"][0]["node"]["id"]')" || fail "children query"
text="Restore drill $sfx: you helped make tea tonight."
now="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
log_gid="$(gql "$token" 'mutation WriteLog($child: ID!, $now: DateTime!, $text: String!) {
  writeDailyLog(input: { childId: $child, occurredAt: $now, text: $text, categories: ["routine"] }) {
    dailyLog { id text version }
  }
}' "{\"child\": \"$child\", \"now\": \"$now\", \"text\": \"$text\"}" |
  json 'd["data"]["writeDailyLog"]["dailyLog"]["id"]')" || fail "writeDailyLog"
log_id="$(python3 -c 'import base64, sys; k, v = base64.b64decode(sys.argv[1]).decode().split(":", 1); assert k == "DailyLog"; print(v)' "$log_gid")"
for q in '{ me { name } }' \
  '{ children(filter: { myKeyChildren: true }) { edges { node { id legalName dailyLogs(first: 5) { edges { node { text } } } } } } }'; do
  gql "$token" "$q" | json '"ok"' >/dev/null || fail "read: $q"
done
stop_server
events_src="$(sql "$super" "$src" -c "SELECT count(*) FROM access_events")"
[ "$events_src" -gt 0 ] || fail "the source's access log is empty after the gateway's requests"
ok "gateway on $src: writeDailyLog $log_id and 3 reads as keycarer.oak; access log has $events_src events; stopped"
verify_src="$("$KEYCARE_BIN" audit verify --database-url "$owner_src")" || fail "audit verify on the source"

# --- backup, restore
KEYCARE_BACKUP_URL="$(pgurl "$backup_login" "$src")"
export KEYCARE_BACKUP_URL KEYCARE_BACKUP_DIR="$tmp/backups"
dump="$(bash "$here/backup.sh" 2>"$tmp/backup.log")" || fail "backup.sh (log above)"
[ -s "$dump" ] && [ -s "${dump%.dump}.roles.sql" ] && [ -s "${dump%.dump}.sha256" ] || fail "backup.sh did not write its three files"
ok "backup.sh as $backup_login (BYPASSRLS, pg_read_all_data): $(basename "$dump"), $(wc -c <"$dump") bytes, roles and sha256 beside it"
KEYCARE_RESTORE_ADMIN_URL="$admin_url" KEYCARE_RESTORE_FILE="$dump" KEYCARE_RESTORE_DB="$dst" \
  KEYCARE_RESTORE_CHECK_URL="$owner_dst" bash "$here/restore.sh" 2>"$tmp/restore.log" ||
  fail "restore.sh (log above)"
ok "restore.sh into the new database $dst: checksums, roles, pg_restore, migrate status (none pending)"
if KEYCARE_RESTORE_ADMIN_URL="$admin_url" KEYCARE_RESTORE_FILE="$dump" KEYCARE_RESTORE_DB="$src" \
  bash "$here/restore.sh" >"$tmp/refused.txt" 2>&1; then
  fail "restore.sh restored over the existing database $src"
fi
grep -q "already exists" "$tmp/refused.txt" || fail "restore.sh over $src failed for another reason: $(cat "$tmp/refused.txt")"
ok "restore.sh refuses an existing database ($src)"

# --- the restored database
verify_dst="$("$KEYCARE_BIN" audit verify --database-url "$owner_dst")" || fail "audit verify on the restored database: $verify_dst"
[ "$verify_dst" = "$verify_src" ] || fail "audit verify differs: source '$verify_src', restored '$verify_dst'"
ok "keycare audit verify exits 0 on $dst, as on the source: $(echo "$verify_dst" | paste -sd ';' | sed 's/;/; /g')"

n="$(sql "$super" "$dst" -c "SELECT count(*) FROM daily_logs WHERE id = '$log_id' AND text = '$text'")"
[ "$n" = 1 ] || fail "the daily log $log_id written before the backup: $n rows"
events_dst="$(sql "$super" "$dst" -c "SELECT count(*) FROM access_events")"
[ "$events_dst" = "$events_src" ] || fail "access_events: $events_src in the source, $events_dst restored"
ok "the daily log written before the backup is there (1 row); access_events $events_dst = source"

catalogue="SELECT md5(string_agg(format('%s|%s|%s|%s|%s', c.relname, c.relowner::regrole, c.relacl,
    c.relrowsecurity, c.relforcerowsecurity), ',' ORDER BY c.relname))
  || ' ' || (SELECT md5(string_agg(format('%s|%s|%s|%s|%s|%s', polrelid::regclass, polname, polcmd,
    polroles::regrole[], pg_get_expr(polqual, polrelid), pg_get_expr(polwithcheck, polrelid)), ','
    ORDER BY polrelid::regclass::text, polname)) FROM pg_policy)
  || ' ' || (SELECT md5(string_agg(format('%s|%s|%s|%s', proname, proowner::regrole, prosecdef, proacl), ','
    ORDER BY proname)) FROM pg_proc WHERE pronamespace = 'public'::regnamespace)
FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace"
[ "$(sql "$super" "$src" -c "$catalogue")" = "$(sql "$super" "$dst" -c "$catalogue")" ] ||
  fail "owners, grants, RLS flags, policies or functions differ between $src and $dst"
tables="$(sql "$super" "$dst" -c "SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'")"
not_owned="$(sql "$super" "$dst" -c "SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r' AND relowner <> '$owner'::regrole")"
forced="$(sql "$super" "$dst" -c "SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r' AND relforcerowsecurity")"
policies="$(sql "$super" "$dst" -c "SELECT count(*) FROM pg_policy")"
[ "$not_owned" = 0 ] && [ "$forced" -gt 40 ] || fail "restored: $not_owned tables not owned by $owner, $forced with forced RLS"
ok "catalogue as the source: $tables tables all owned by $owner, $forced with RLS forced, $policies policies, same grants to keycare_app"

app() { # app TENANT SQL : as keycare_app (through the gateway's login), in one transaction
  sql "$gw" "$dst" -c "BEGIN; SET LOCAL ROLE keycare_app; SELECT set_config('app.tenant_id', '$1', true); $2; COMMIT" | tail -n 1
}
north="$(sql "$super" "$dst" -c "SELECT id FROM tenants WHERE slug = 'northshire'")"
south="$(sql "$super" "$dst" -c "SELECT id FROM tenants WHERE slug = 'southdale'")"
none="$(app '' 'SELECT count(*) FROM children')"
[ "$none" = 0 ] || fail "as keycare_app with no council set, $none children are visible"
ok "as keycare_app with no council set: SELECT count(*) FROM children = 0"
south_all="$(sql "$super" "$dst" -c "SELECT count(*) FROM children WHERE tenant_id = '$south'")"
seen="$(app "$south" "SELECT count(*) || '/' || count(*) FILTER (WHERE tenant_id <> '$south') FROM children")"
[ "$seen" = "$south_all/0" ] && [ "$south_all" -gt 0 ] || fail "as keycare_app in southdale: seen/other-council = $seen, southdale has $south_all"
seen_logs="$(app "$south" "SELECT count(*) FROM daily_logs WHERE tenant_id <> '$south'")"
[ "$seen_logs" = 0 ] || fail "as keycare_app in southdale, $seen_logs other councils' daily logs"
ok "as keycare_app with app.tenant_id = southdale: $south_all children, all Southdale's; no Northshire child or daily log"
for stmt in "UPDATE access_events SET at = at" "DELETE FROM access_events"; do
  if out="$(app "$north" "$stmt" 2>&1)"; then fail "keycare_app may run: $stmt"; fi
  echo "$out" | grep -q "permission denied for table access_events" || fail "$stmt: $out"
done
after="$(sql "$super" "$dst" -c "SELECT count(*) FROM access_events")"
[ "$after" = "$events_dst" ] || fail "access_events changed: $events_dst -> $after"
ok "keycare_app cannot UPDATE or DELETE access_events (permission denied; append-only)"

# --- the gateway serves from the restored database
start_server serve-production --environment production --database-url "$(pgurl "$gw" "$dst")"
ok "serve --environment production as the application login $gw on $dst: /readyz 200 (no migration pending, not owner, not superuser)"
stop_server
start_server serve-restored --demo --database-url "$owner_dst"
token="$("$KEYCARE_BIN" token keycarer.oak@northshire.example --database-url "$owner_dst" --data-dir "$tmp/data")"
name="$(gql "$token" '{ me { name } }' | json 'd["data"]["me"]["name"]')" || fail "me on the restored gateway"
back="$(gql "$token" 'query($id: ID!) { node(id: $id) { ... on DailyLog { text } } }' "{\"id\": \"$log_gid\"}" |
  json 'd["data"]["node"]["text"]')" || fail "the daily log through the restored gateway"
[ "$back" = "$text" ] || fail "the daily log through the restored gateway reads '$back'"
stop_server
"$KEYCARE_BIN" audit verify --database-url "$owner_dst" >"$tmp/verify-after.txt" || fail "audit verify after serving: $(cat "$tmp/verify-after.txt")"
grown="$(sql "$super" "$dst" -c "SELECT count(*) FROM access_events")"
[ "$grown" -gt "$events_dst" ] || fail "the restored gateway's reads were not logged ($grown events)"
ok "serve --demo on $dst: /readyz 200, { me { name } } = $name, the daily log reads back; the chain goes on ($events_dst -> $grown events) and verifies"

echo "drill: $passed checks passed in $(( $(date +%s) - t0 )) s"
