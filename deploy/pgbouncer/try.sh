#!/usr/bin/env bash
# PgBouncer tried with the real gateway (deploy/pgbouncer/README.md): a scratch database with
# the demo data, an application login as a council would make it, PgBouncer from
# deploy/pgbouncer/pgbouncer.ini on a free loopback port, then
#   - session mode: the gateway serves through it (me, my key children, writeDailyLog read
#     back, concurrent reads, the access log grows and verifies, production start-up), the
#     `options` startup parameter is dropped and the login's own settings apply, and row-level
#     security holds for keycare_app through the pooler;
#   - transaction mode: with PgBouncer < 1.21, the gateway's start-up failure is the known one
#     (named prepared statements); with >= 1.21, the same smoke with max_prepared_statements;
#   - without `options` in ignore_startup_parameters: the gateway is refused, as documented.
#
#   bash deploy/pgbouncer/try.sh
#
# Needs pgbouncer (Debian: apt-get install -y pgbouncer), psql, curl, python3. Talks only to
# PostgreSQL on 127.0.0.1 (KEYCARE_TRY_PGPORT, default 5432, superuser KEYCARE_TRY_PGUSER,
# default postgres, trust or ~/.pgpass), to the PgBouncer and gateways it starts on free
# loopback ports. PgBouncer refuses to run as root: as root it is started with `-u postgres`
# (KEYCARE_TRY_PGBOUNCER_USER). Everything it makes (a database, a login, a temporary
# directory, its processes) is removed on exit, pass or fail; the shared role keycare_app is
# left. KEYCARE_BIN: the binary (default target/debug/keycare of this repository, else
# `keycare`). One line per check; exits non-zero on the first failure.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
if [ -z "${KEYCARE_BIN:-}" ]; then
  if [ -x "$repo/target/debug/keycare" ]; then KEYCARE_BIN="$repo/target/debug/keycare"; else KEYCARE_BIN=keycare; fi
fi
port_pg="${KEYCARE_TRY_PGPORT:-5432}"
super="${KEYCARE_TRY_PGUSER:-postgres}"
pgb_user="${KEYCARE_TRY_PGBOUNCER_USER:-postgres}"
unset PGHOST PGHOSTADDR PGPORT PGDATABASE PGUSER PGSERVICE PGOPTIONS KEYCARE_DATABASE_URL \
  KEYCARE_DATA_DIR KEYCARE_CONFIG KEYCARE_ENVIRONMENT KEYCARE_PUBLIC_URL KEYCARE_ADDR \
  KEYCARE_DEV_ISSUER OTEL_EXPORTER_OTLP_ENDPOINT OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
export KEYCARE_LOG="${KEYCARE_LOG:-warn}" PGCONNECT_TIMEOUT=5

t0=$(date +%s)
passed=0
ok() { passed=$((passed + 1)); echo "pgbouncer: ok   $*"; }
fail() { echo "pgbouncer: FAIL $*" >&2; exit 1; }

command -v pgbouncer >/dev/null || fail "pgbouncer is not installed (Debian: apt-get install -y pgbouncer)"
pg_isready -h 127.0.0.1 -p "$port_pg" -q || fail "no PostgreSQL on 127.0.0.1:$port_pg"

sfx="$(date +%s)_$$_$RANDOM"
db="keycare_pgb_$sfx"
gw="keycare_pgb_gw_$sfx"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/keycare-pgbouncer.XXXXXX")"
chmod 711 "$tmp"
mkdir -m 755 "$tmp/pgb"
direct="postgres://$super@127.0.0.1:$port_pg/$db"
pgb_pid=""
server_pid=""
pgb_as=()
[ "$(id -u)" = 0 ] && pgb_as=(-u "$pgb_user")

stop_pid() { # stop_pid PID : TERM, then KILL after 10 s
  local pid="$1"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  local rc=$?
  stop_pid "$server_pid"
  stop_pid "$pgb_pid"
  psql "postgres://$super@127.0.0.1:$port_pg/postgres" -X -q -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 || true
  psql "postgres://$super@127.0.0.1:$port_pg/postgres" -X -q -c "DROP ROLE IF EXISTS \"$gw\"" >/dev/null 2>&1 || true
  if [ "$rc" -ne 0 ] && [ -d "$tmp" ]; then
    for f in "$tmp"/*.log "$tmp"/pgb/*.log; do
      [ -s "$f" ] && { echo "--- $(basename "$f") (last lines)" >&2; tail -n 15 "$f" >&2; }
    done
  fi
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
sql() { psql "$1" -X -v ON_ERROR_STOP=1 -At -q -c "$2"; }

# --- PgBouncer from the example file, with this run's database, port, paths and auth
pgb_port="$(free_port)"
via_pgb="postgres://$gw@127.0.0.1:$pgb_port/$db"
start_pgbouncer() { # start_pgbouncer MODE IGNORE_STARTUP_PARAMETERS [EXTRA_SETTING...]
  local mode="$1" ignore="$2" ini="$tmp/pgb/pgbouncer.ini"
  shift 2
  stop_pid "$pgb_pid"
  pgb_pid=""
  sed -e "s|^keycare = host=127.0.0.1 port=5432 dbname=keycare\$|$db = host=127.0.0.1 port=$port_pg dbname=$db|" \
    -e "s|^listen_port = .*|listen_port = $pgb_port|" \
    -e "s|^auth_type = .*|auth_type = trust|" \
    -e "s|^auth_file = .*|auth_file = $tmp/pgb/userlist.txt|" \
    -e "s|^pool_mode = .*|pool_mode = $mode|" \
    -e "s|^ignore_startup_parameters = .*|ignore_startup_parameters = $ignore|" \
    -e "s|^logfile = .*|logfile = $tmp/pgb/pgbouncer.log|" \
    -e "s|^pidfile = .*|pidfile = $tmp/pgb/pgbouncer.pid|" \
    "$here/pgbouncer.ini" >"$ini"
  grep -q "^$db = " "$ini" || fail "the [databases] line of pgbouncer.ini was not found"
  for s in "$@"; do echo "$s" >>"$ini"; done
  printf '"%s" ""\n"%s" ""\n' "$gw" "$super" >"$tmp/pgb/userlist.txt"
  [ "$(id -u)" = 0 ] && chown -R "$pgb_user" "$tmp/pgb"
  pgbouncer "${pgb_as[@]}" "$ini" >>"$tmp/pgb/pgbouncer-stderr.log" 2>&1 &
  pgb_pid=$!
  for _ in $(seq 1 50); do
    kill -0 "$pgb_pid" 2>/dev/null || { pgb_pid=""; return 1; }
    psql "$via_pgb" -X -At -q -c "SELECT 1" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  fail "PgBouncer ($mode) did not accept a connection within 5 s"
}

start_server() { # start_server NAME ARGS... (env before): sets server_pid, port; fails if not ready in 30 s
  local name="$1"; shift
  port="$(free_port)"
  "$KEYCARE_BIN" serve --addr "127.0.0.1:$port" --data-dir "$tmp/data" "$@" >"$tmp/$name.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 150); do
    kill -0 "$server_pid" 2>/dev/null || { wait "$server_pid" 2>/dev/null || true; server_pid=""; return 1; }
    [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$port/readyz")" = 200 ] && return 0
    sleep 0.2
  done
  fail "$name: /readyz not 200 within 30 s"
}
stop_server() { stop_pid "$server_pid"; server_pid=""; }
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
last_line() { sed 's/\x1b\[[0-9;]*m//g' "$1" | grep -v '^\s*$' | tail -n 1; }

version="$(pgbouncer --version | awk 'NR == 1 { print $2 }')"
if [ "$(printf '%s\n1.21.0\n' "$version" | sort -V | head -n 1)" = 1.21.0 ]; then prepared=yes; else prepared=no; fi

# --- the database as a council would have it: migrated and loaded by the owner, directly
sql "postgres://$super@127.0.0.1:$port_pg/postgres" "CREATE DATABASE \"$db\""
"$KEYCARE_BIN" migrate up --database-url "$direct" --data-dir "$tmp/data" >"$tmp/migrate.log" 2>&1 || fail "migrate up (log above)"
"$KEYCARE_BIN" seed demo --database-url "$direct" --data-dir "$tmp/data" >"$tmp/seed.log" 2>&1 || fail "seed demo (log above)"
sql "$direct" "CREATE ROLE \"$gw\" LOGIN NOSUPERUSER NOBYPASSRLS IN ROLE keycare_app;
  ALTER ROLE \"$gw\" IN DATABASE \"$db\" SET role = 'keycare_app';
  ALTER ROLE \"$gw\" IN DATABASE \"$db\" SET statement_timeout = '10s';
  ALTER ROLE \"$gw\" IN DATABASE \"$db\" SET idle_in_transaction_session_timeout = '30s'" >/dev/null
ok "$db: migrate up and seed demo directly on :$port_pg; login $gw IN ROLE keycare_app with role and timeouts set by ALTER ROLE ... IN DATABASE"

start_pgbouncer session extra_float_digits,options || fail "PgBouncer (session) exited at start"
ok "PgBouncer $version on 127.0.0.1:$pgb_port from deploy/pgbouncer/pgbouncer.ini, pool_mode = session (protocol-level prepared statements in transaction mode, >= 1.21: $prepared)"

# --- what becomes of `options` and row-level security through the pooler
got="$(PGOPTIONS='-c statement_timeout=1ms -c idle_in_transaction_session_timeout=1ms' \
  psql "$via_pgb" -X -At -q -F '|' -c "SELECT current_user, current_setting('statement_timeout'), current_setting('idle_in_transaction_session_timeout')")" ||
  fail "psql through PgBouncer with PGOPTIONS"
[ "$got" = "keycare_app|10s|30s" ] || fail "through PgBouncer with options asking 1ms: current_user|statement_timeout|idle = $got"
ok "options are dropped by PgBouncer: asked for statement_timeout=1ms, got current_user|statement_timeout|idle_in_transaction = $got (the login's ALTER ROLE settings)"

north="$(sql "$direct" "SELECT id FROM tenants WHERE slug = 'northshire'")"
all="$(sql "$direct" "SELECT count(*) FROM children")"
none="$(sql "$via_pgb" "SELECT count(*) FROM children")"
[ "$none" = 0 ] && [ "$all" -gt 0 ] || fail "as keycare_app through PgBouncer with no council set: $none of $all children visible"
inside="$(sql "$via_pgb" "BEGIN; SELECT set_config('app.tenant_id', '$north', true);
  SELECT count(*) || '/' || count(*) FILTER (WHERE tenant_id <> '$north') FROM children; COMMIT" | tail -n 1)"
after="$(sql "$via_pgb" "SELECT count(*) FROM children")"
[ "${inside#*/}" = 0 ] && [ "${inside%/*}" -gt 0 ] && [ "$after" = 0 ] || fail "RLS through PgBouncer: in northshire $inside (seen/other), after the transaction $after"
ok "RLS through PgBouncer as keycare_app: no council set, SELECT count(*) FROM children = 0 (of $all); with northshire set in a transaction ${inside%/*}, none of another council; after it 0 again"

# --- the gateway through PgBouncer, and its smoke
smoke() { # smoke LABEL : me, my key children, writeDailyLog read back, 24 concurrent reads, access log, audit verify
  local label="$1" token child name kids log_gid back events_before events_after codes
  token="$("$KEYCARE_BIN" token keycarer.oak@northshire.example --database-url "$direct" --data-dir "$tmp/data")" || fail "$label: keycare token"
  events_before="$(sql "$direct" "SELECT count(*) FROM access_events")"
  name="$(gql "$token" '{ me { name } }' | json 'd["data"]["me"]["name"]')" || fail "$label: me"
  kids="$(gql "$token" '{ children(filter: { myKeyChildren: true }) { edges { node { id legalName dailyLogs(first: 3) { edges { node { text } } } } } } }' |
    json '", ".join(e["node"]["legalName"] for e in d["data"]["children"]["edges"])')" || fail "$label: my key children"
  [ -n "$kids" ] || fail "$label: no key children"
  child="$(gql "$token" '{ children(filter: { myKeyChildren: true }) { edges { node { id } } } }' |
    json 'd["data"]["children"]["edges"][0]["node"]["id"]')" || fail "$label: children"
  text="Through PgBouncer ($label) $sfx: you helped make tea tonight."
  log_gid="$(gql "$token" 'mutation WriteLog($child: ID!, $now: DateTime!, $text: String!) {
    writeDailyLog(input: { childId: $child, occurredAt: $now, text: $text, categories: ["routine"] }) { dailyLog { id version } } }' \
    "{\"child\": \"$child\", \"now\": \"$(date -u +%Y-%m-%dT%H:%M:%SZ)\", \"text\": \"$text\"}" |
    json 'd["data"]["writeDailyLog"]["dailyLog"]["id"]')" || fail "$label: writeDailyLog"
  back="$(gql "$token" 'query($id: ID!) { node(id: $id) { ... on DailyLog { text } } }' "{\"id\": \"$log_gid\"}" |
    json 'd["data"]["node"]["text"]')" || fail "$label: reading the daily log back"
  [ "$back" = "$text" ] || fail "$label: the daily log reads '$back'"
  ok "$label: me = $name; my key children = $kids; writeDailyLog, read back by id"
  python3 -c 'import json; print(json.dumps({"query": "{ me { name } children(filter: { myKeyChildren: true }) { edges { node { legalName } } } }"}))' >"$tmp/read.json"
  codes="$(seq 1 24 | xargs -P 8 -I{} curl -s -o /dev/null -w '%{http_code}\n' --max-time 15 \
    -H "authorization: Bearer $token" -H 'content-type: application/json' --data-binary @"$tmp/read.json" \
    "http://127.0.0.1:$port/graphql" | sort | uniq -c | awk '{ printf "%s x %s ", $1, $2 }')"
  [ "$codes" = "24 x 200 " ] || fail "$label: 24 concurrent reads answered $codes"
  events_after="$(sql "$direct" "SELECT count(*) FROM access_events")"
  [ "$events_after" -gt "$events_before" ] || fail "$label: the access log did not grow ($events_before -> $events_after)"
  "$KEYCARE_BIN" audit verify --database-url "$direct" >"$tmp/verify.log" 2>&1 || fail "$label: audit verify: $(cat "$tmp/verify.log")"
  ok "$label: 24 concurrent reads (8 at a time) all 200; access log $events_before -> $events_after events; keycare audit verify passes"
}

KEYCARE_DEV_ISSUER=true start_server serve-session --database-url "$via_pgb" ||
  fail "the gateway through PgBouncer (session) exited: $(last_line "$tmp/serve-session.log")"
ok "session mode: keycare serve (development issuer, no --demo, no --migrate) as $gw through PgBouncer: /readyz 200"
smoke "session mode"
stop_server
start_server serve-production --environment production --database-url "$via_pgb" ||
  fail "serve --environment production through PgBouncer exited: $(last_line "$tmp/serve-production.log")"
stop_server
ok "session mode: serve --environment production as $gw through PgBouncer: /readyz 200 (its checks on the login pass through the pooler)"

# --- transaction mode
if [ "$prepared" = yes ]; then
  start_pgbouncer transaction extra_float_digits,options "max_prepared_statements = 200" || fail "PgBouncer (transaction) exited at start"
  KEYCARE_DEV_ISSUER=true start_server serve-transaction --database-url "$via_pgb" ||
    fail "the gateway through PgBouncer $version (transaction, max_prepared_statements = 200) exited: $(last_line "$tmp/serve-transaction.log")"
  ok "transaction mode with max_prepared_statements = 200 (PgBouncer $version): /readyz 200"
  smoke "transaction mode"
  stop_server
else
  if (cd "$tmp/pgb" && printf '[databases]\n[pgbouncer]\nmax_prepared_statements = 200\n' >probe.ini &&
    timeout 5 pgbouncer "${pgb_as[@]}" probe.ini >probe.log 2>&1); then
    fail "PgBouncer $version accepted max_prepared_statements"
  fi
  ok "PgBouncer $version does not know max_prepared_statements: $(grep -m1 -o 'invalid value.*' "$tmp/pgb/probe.log" || last_line "$tmp/pgb/probe.log")"
  start_pgbouncer transaction extra_float_digits,options || fail "PgBouncer (transaction) exited at start"
  none="$(sql "$via_pgb" "SELECT count(*) FROM children")"
  [ "$none" = 0 ] || fail "transaction mode, as keycare_app with no council: $none children"
  ok "transaction mode: psql as $gw (simple protocol) works; SELECT count(*) FROM children = 0 with no council set"
  if KEYCARE_DEV_ISSUER=true start_server serve-transaction --database-url "$via_pgb"; then
    fail "the gateway started through PgBouncer $version in transaction mode: the README says it cannot; update it"
  fi
  grep -q 'prepared statement "sqlx_s_[0-9]*" already exists' "$tmp/serve-transaction.log" ||
    fail "transaction mode failed otherwise than expected: $(last_line "$tmp/serve-transaction.log")"
  ok "transaction mode, PgBouncer $version: the gateway refuses to start, as expected: $(last_line "$tmp/serve-transaction.log" | sed 's/ at line [0-9]*:.*//')"
fi

# --- without `options` in ignore_startup_parameters
start_pgbouncer session extra_float_digits || fail "PgBouncer (session, options not ignored) exited at start"
if KEYCARE_DEV_ISSUER=true start_server serve-options --database-url "$via_pgb"; then
  fail "the gateway started with PgBouncer refusing the options startup parameter"
fi
grep -q 'unsupported startup parameter: options' "$tmp/serve-options.log" ||
  fail "without options ignored, the gateway failed otherwise: $(last_line "$tmp/serve-options.log")"
ok "options not in ignore_startup_parameters: the gateway is refused, as expected: $(last_line "$tmp/serve-options.log")"

echo "pgbouncer: $passed checks passed in $(($(date +%s) - t0)) s"
