#!/usr/bin/env bash
# Logical backup of one KeyCare database (deploy/backup/README.md).
#
#   KEYCARE_BACKUP_URL=postgres://keycare_backup:SECRET@DBHOST:5432/keycare \
#   KEYCARE_BACKUP_DIR=/var/backups/keycare  bash deploy/backup/backup.sh
#
# KEYCARE_BACKUP_URL: a login that reads every row: a superuser, or the backup login of the
#   README (LOGIN, BYPASSRLS, member of pg_read_all_data). Not the tables' owner: row-level
#   security is FORCEd on the owner too, and pg_dump refuses rather than dump an empty table.
# KEYCARE_BACKUP_DIR: where the files go (made if missing, mode 0700).
#
# Writes, named by database and UTC time (keycare-DB-YYYYMMDDTHHMMSSZ):
#   .dump        pg_dump --format=custom: schema, rows, owners, grants, RLS policies
#   .roles.sql   the cluster-wide roles the database needs (its owner, keycare_app, the
#                gateway's logins), from pg_dumpall --roles-only --no-role-passwords, filtered
#                and made idempotent; no passwords, no superusers
#   .sha256      sha256sum of the two, checked by restore.sh
# and prints the .dump path last. Files appear only when complete (written as .partial, then
# renamed). Exits non-zero on any failure.
set -euo pipefail
umask 077

: "${KEYCARE_BACKUP_URL:?set KEYCARE_BACKUP_URL to a BYPASSRLS login URL of the database to back up}"
: "${KEYCARE_BACKUP_DIR:?set KEYCARE_BACKUP_DIR to the directory for the backup files}"
PG_BIN="${PG_BIN:-}"
pgbin() { if [ -n "$PG_BIN" ]; then echo "$PG_BIN/$1"; else echo "$1"; fi; }

url="$KEYCARE_BACKUP_URL"
psql_q() { "$(pgbin psql)" "$url" -X -v ON_ERROR_STOP=1 -At -q "$@"; }

db="$(psql_q -c 'SELECT current_database()')"
case "$db" in *[!A-Za-z0-9_-]*) echo "backup: database name '$db' has characters this script will not put in a file name" >&2; exit 2 ;; esac

# The dump must hold every row: refuse early, naming why, if this login would see only some.
can_read_all="$(psql_q -c "SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user")"
if [ "$can_read_all" != "t" ]; then
  echo "backup: $(psql_q -c 'SELECT current_user') neither is a superuser nor has BYPASSRLS; row-level security is forced on every KeyCare table, so it cannot read them all (use the backup login of deploy/backup/README.md)" >&2
  exit 2
fi

mkdir -p "$KEYCARE_BACKUP_DIR"
chmod 700 "$KEYCARE_BACKUP_DIR"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
base="keycare-$db-$stamp"
dir="$KEYCARE_BACKUP_DIR"
for f in "$base.dump" "$base.roles.sql" "$base.sha256"; do
  if [ -e "$dir/$f" ]; then echo "backup: $dir/$f already exists" >&2; exit 2; fi
done
cleanup() { rm -f "$dir/$base".*.partial "$dir/$base.dump.tmp"; }
trap cleanup EXIT

# 1. The database: one consistent snapshot (pg_dump's), so the access log's hash chains are
#    whole. Owners and ACLs are kept (no --no-owner, no --no-acl): restore.sh relies on them.
"$(pgbin pg_dump)" --format=custom --compress=6 --no-password \
  --file="$dir/$base.dump.partial" "$url"
# A dump that pg_restore cannot list is not a backup.
"$(pgbin pg_restore)" --list "$dir/$base.dump.partial" >/dev/null

# 2. The roles it needs. Roles are cluster-wide, so pg_dump has none of them: the database's
#    owner, every owner of its objects, keycare_app, the logins that are members of keycare_app
#    (the gateway's), and every role named in a policy or a grant. Superusers and the
#    predefined pg_* roles are the cluster's own business and are left out.
needed="$(psql_q <<'SQL'
WITH app AS (SELECT oid FROM pg_roles WHERE rolname = 'keycare_app'),
ours AS (SELECT oid FROM pg_namespace
         WHERE nspname NOT IN ('pg_catalog', 'information_schema') AND nspname NOT LIKE 'pg_toast%'),
needed(oid) AS (
  SELECT datdba FROM pg_database WHERE datname = current_database()
  UNION SELECT relowner FROM pg_class WHERE relnamespace IN (SELECT oid FROM ours)
  UNION SELECT proowner FROM pg_proc WHERE pronamespace IN (SELECT oid FROM ours)
  UNION SELECT oid FROM app
  UNION SELECT m.member FROM pg_auth_members m JOIN app ON m.roleid = app.oid
  UNION SELECT unnest(polroles) FROM pg_policy
  UNION SELECT (aclexplode(relacl)).grantee FROM pg_class
        WHERE relacl IS NOT NULL AND relnamespace IN (SELECT oid FROM ours)
  UNION SELECT (aclexplode(proacl)).grantee FROM pg_proc
        WHERE proacl IS NOT NULL AND pronamespace IN (SELECT oid FROM ours)
)
SELECT rolname FROM pg_roles
WHERE oid IN (SELECT oid FROM needed) AND NOT rolsuper AND rolname !~ '^pg_'
ORDER BY rolname
SQL
)"
for r in $needed; do
  case "$r" in
    [a-z_]*) case "$r" in *[!a-z0-9_]*) bad=1 ;; *) bad= ;; esac ;;
    *) bad=1 ;;
  esac
  if [ -n "$bad" ]; then
    echo "backup: role name '$r' would need quoting; rename it or extend backup.sh" >&2
    exit 2
  fi
done

{
  echo "-- Roles the database $db needs, for restore.sh (apply as a superuser before pg_restore)."
  echo "-- From pg_dumpall --roles-only --no-role-passwords at $stamp, filtered to:"
  echo "--   $(echo $needed)"
  echo "-- Idempotent: an existing role is altered to these attributes, never dropped."
  echo "-- No passwords: set the gateway's login password from its secret after a restore."
  "$(pgbin pg_dumpall)" --roles-only --no-role-passwords --dbname="$url" |
    awk -v names="$needed" '
      BEGIN { n = split(names, a, /[ \n]+/); for (i = 1; i <= n; i++) if (a[i] != "") want[a[i]] = 1 }
      /^CREATE ROLE [a-z0-9_]+;$/ {
        r = $3; sub(/;$/, "", r)
        if (r in want)
          printf "DO $do$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = %c%s%c) THEN CREATE ROLE %s; END IF; END $do$;\n", 39, r, 39, r
        next
      }
      /^ALTER ROLE [a-z0-9_]+ / { if ($3 in want) print; next }
      /^GRANT [a-z0-9_]+ TO [a-z0-9_]+[ ;]/ {
        member = $4; sub(/;$/, "", member)
        if (($2 in want) && (member in want)) { line = $0; sub(/ GRANTED BY [^;]*;$/, ";", line); print line }
        next
      }'
} >"$dir/$base.roles.sql.partial"
grep -q "CREATE ROLE keycare_app;" "$dir/$base.roles.sql.partial" || {
  echo "backup: the role keycare_app was not found: is this a KeyCare database on PostgreSQL with its migrations applied?" >&2
  exit 2
}

# 3. Checksums, then the final names (the .dump last, so its presence means a whole set).
mv "$dir/$base.roles.sql.partial" "$dir/$base.roles.sql"
mv "$dir/$base.dump.partial" "$dir/$base.dump.tmp"
(cd "$dir" && sha256sum "$base.dump.tmp" "$base.roles.sql" | sed "s/$base.dump.tmp\$/$base.dump/" >"$base.sha256.partial")
mv "$dir/$base.sha256.partial" "$dir/$base.sha256"
mv "$dir/$base.dump.tmp" "$dir/$base.dump"
trap - EXIT

size="$(wc -c <"$dir/$base.dump")"
echo "backup: $db -> $dir/$base.dump ($size bytes), $base.roles.sql ($(echo $needed | wc -w) roles), $base.sha256" >&2
echo "$dir/$base.dump"
