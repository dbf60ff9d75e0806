#!/usr/bin/env bash
# Restore a backup.sh dump into a NEW database, then check it (deploy/backup/README.md).
#
#   KEYCARE_RESTORE_ADMIN_URL=postgres://postgres@DBHOST:5432/postgres \
#   KEYCARE_RESTORE_FILE=/var/backups/keycare/keycare-keycare-20270101T020000Z.dump \
#   KEYCARE_RESTORE_DB=keycare_restored  bash deploy/backup/restore.sh
#
# KEYCARE_RESTORE_ADMIN_URL: a superuser (or the managed service's admin with CREATEROLE,
#   CREATEDB and BYPASSRLS) on the target server, any database (postgres). It creates the roles
#   and the database and runs pg_restore: the rows go back into tables whose row-level security
#   is forced, which only a login that bypasses RLS may do.
# KEYCARE_RESTORE_FILE: the .dump; its .roles.sql and .sha256 must sit beside it.
# KEYCARE_RESTORE_DB: the new database. If it exists the script stops: it never restores over
#   a database, live or not. Point the gateway at it afterwards (or rename it).
# KEYCARE_RESTORE_CHECK_URL (optional): the tables' owner's URL of the new database for the
#   checks; default the admin URL with the new database's name.
# KEYCARE_RESTORE_ROLES=skip (optional): do not apply .roles.sql (the roles are already there).
# KEYCARE_BIN (optional): the keycare binary, default `keycare` on PATH.
#
# What survives, and why these flags: pg_restore runs without --no-owner and without --no-acl,
# so every table and function goes back to its owner (ALTER ... OWNER TO, which needs the role:
# hence .roles.sql first), keycare_app gets back exactly its grants (SELECT, INSERT on
# access_events, nothing more), and the policies, which name roles, find them. --exit-on-error
# with --single-transaction: all of it or nothing.
set -euo pipefail

: "${KEYCARE_RESTORE_ADMIN_URL:?set KEYCARE_RESTORE_ADMIN_URL to a superuser URL on the target server}"
: "${KEYCARE_RESTORE_FILE:?set KEYCARE_RESTORE_FILE to the .dump written by backup.sh}"
: "${KEYCARE_RESTORE_DB:?set KEYCARE_RESTORE_DB to the name of the new database}"
PG_BIN="${PG_BIN:-}"
pgbin() { if [ -n "$PG_BIN" ]; then echo "$PG_BIN/$1"; else echo "$1"; fi; }
KEYCARE_BIN="${KEYCARE_BIN:-keycare}"

admin="$KEYCARE_RESTORE_ADMIN_URL"
dump="$KEYCARE_RESTORE_FILE"
newdb="$KEYCARE_RESTORE_DB"
case "$newdb" in
  "" | *[!A-Za-z0-9_]*) echo "restore: KEYCARE_RESTORE_DB must be letters, digits and _ only" >&2; exit 2 ;;
esac
case "$dump" in *.dump) ;; *) echo "restore: $dump is not a .dump written by backup.sh" >&2; exit 2 ;; esac
base="${dump%.dump}"
roles="$base.roles.sql"
sums="$base.sha256"
for f in "$dump" "$roles" "$sums"; do
  [ -f "$f" ] || { echo "restore: $f is missing (backup.sh writes .dump, .roles.sql and .sha256 together)" >&2; exit 2; }
done

# The URL of a database on the same server as the admin URL: same user, host and options.
with_db() {
  local url="$1" name="$2" rest query
  [[ "$url" =~ ^postgres(ql)?://[^/]+(/[^?]*)?(\?.*)?$ ]] ||
    { echo "restore: cannot read the URL (postgres://USER@HOST:PORT/DB expected)" >&2; exit 2; }
  query="${BASH_REMATCH[3]}"
  rest="${url%%\?*}"
  rest="${rest#*://}"
  rest="${rest%%/*}"
  echo "${url%%://*}://$rest/$name$query"
}
admin_psql() { "$(pgbin psql)" "$admin" -X -v ON_ERROR_STOP=1 -At -q "$@"; }
target="$(with_db "$admin" "$newdb")"
check_url="${KEYCARE_RESTORE_CHECK_URL:-$target}"

step() { echo "restore: $*" >&2; }

# 1. The files are the ones backup.sh wrote.
step "checking $(basename "$sums")"
(cd "$(dirname "$dump")" && sha256sum --check --quiet --strict "$(basename "$sums")") ||
  { echo "restore: checksum mismatch: the backup files are damaged or not a set" >&2; exit 1; }
toc="$("$(pgbin pg_restore)" --list "$dump")"

# 2. Never over an existing database.
if [ "$(admin_psql -c "SELECT count(*) FROM pg_database WHERE datname = '$newdb'")" != "0" ]; then
  echo "restore: database $newdb already exists; restore.sh only restores into a new database (drop it yourself if it is really a failed restore)" >&2
  exit 1
fi
owner="$(echo "$toc" | awk '$4 == "TABLE" && $5 == "public" && $6 == "seaql_migrations" && !found { print $7; found = 1 }')"
[ -n "$owner" ] || { echo "restore: no seaql_migrations table in $dump: not a KeyCare database" >&2; exit 1; }

# 3. Roles (cluster-wide, so not in the dump).
if [ "${KEYCARE_RESTORE_ROLES:-apply}" = "skip" ]; then
  step "roles: skipped (KEYCARE_RESTORE_ROLES=skip)"
else
  step "roles: applying $(basename "$roles")"
  PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning" admin_psql -f "$roles"
fi
admin_psql -c "SELECT 1 FROM pg_roles WHERE rolname = '$owner'" | grep -q 1 ||
  { echo "restore: the owner role $owner does not exist on the target server" >&2; exit 1; }

# 4. The new database, owned by the same owner, then everything in one transaction.
step "creating database $newdb owned by $owner"
admin_psql -c "CREATE DATABASE \"$newdb\" OWNER \"$owner\" TEMPLATE template0 ENCODING 'UTF8'"
step "pg_restore into $newdb"
if ! "$(pgbin pg_restore)" --exit-on-error --single-transaction --no-password \
  --dbname="$target" "$dump"; then
  echo "restore: pg_restore failed; nothing was restored. The empty database $newdb is left for inspection: DROP DATABASE \"$newdb\" before trying again" >&2
  exit 1
fi
"$(pgbin psql)" "$target" -X -v ON_ERROR_STOP=1 -q -c "ANALYZE"

# 5. Checks: the schema is at the dump's migrations, nothing pending for this gateway, and the
#    access log's hash chains are whole.
step "keycare migrate status"
status="$("$KEYCARE_BIN" migrate status --database-url "$check_url")"
echo "$status" | sed 's/^/  /' >&2
if echo "$status" | grep -qv '^applied '; then
  echo "restore: migrations pending on the restored database (a newer gateway than the backup?): run \`keycare migrate up\` as $owner before serving" >&2
  exit 1
fi
step "keycare audit verify"
"$KEYCARE_BIN" audit verify --database-url "$check_url" | sed 's/^/  /' >&2
step "done: $newdb restored from $(basename "$dump") and checked"
