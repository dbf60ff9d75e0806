#!/usr/bin/env bash
# Two gateway replicas on one PostgreSQL database (deploy/replicas/README.md): replica A with
# --demo (migrates, loads the demo), replica B with the development issuer on and nothing
# else, both with the same --data-dir (so the development issuer's key is shared) and the same
# database, on two free loopback ports. Checks what must agree across replicas:
#   - one token works on both;
#   - a write on A reads back on B at once;
#   - 50 writes alternating between A and B from 2 concurrent clients keep the access-log chain
#     valid (`keycare audit verify`);
#   - a user deactivated through A (as the tenant administrator) is refused by both at once;
#   - an identity provider configured through A signs in on B within B's issuer-directory
#     reload interval (5 s), and how long that took on each;
# and shows what is per replica: the rate limit (KEYCARE_RATE_PER_USER) and automatic
# persisted queries.
#
#   bash deploy/replicas/try.sh
#
# Needs psql, curl, python3, openssl. Talks only to PostgreSQL on 127.0.0.1
# (KEYCARE_TRY_PGPORT, default 5432, superuser KEYCARE_TRY_PGUSER, default postgres, trust or
# ~/.pgpass) and to the two gateways it starts on loopback. Everything it makes (a database, a
# temporary directory, its processes) is removed on exit, pass or fail. KEYCARE_BIN: the binary
# (default target/debug/keycare of this repository, else `keycare`). One line per check (and
# `note` lines for what is observed but not required); exits non-zero on the first failure.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
if [ -z "${KEYCARE_BIN:-}" ]; then
  if [ -x "$repo/target/debug/keycare" ]; then KEYCARE_BIN="$repo/target/debug/keycare"; else KEYCARE_BIN=keycare; fi
fi
port_pg="${KEYCARE_TRY_PGPORT:-5432}"
super="${KEYCARE_TRY_PGUSER:-postgres}"
unset PGHOST PGHOSTADDR PGPORT PGDATABASE PGUSER PGSERVICE PGOPTIONS KEYCARE_DATABASE_URL \
  KEYCARE_DATA_DIR KEYCARE_CONFIG KEYCARE_ENVIRONMENT KEYCARE_PUBLIC_URL KEYCARE_ADDR \
  KEYCARE_DEV_ISSUER OTEL_EXPORTER_OTLP_ENDPOINT OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
export KEYCARE_LOG="${KEYCARE_LOG:-warn}" PGCONNECT_TIMEOUT=5
# Low enough to show the per-replica bucket (burst 30, 5 a second), high enough for the checks.
export KEYCARE_RATE_PER_USER=300

t0=$(date +%s)
passed=0
ok() { passed=$((passed + 1)); echo "replicas: ok   $*"; }
note() { echo "replicas: note $*"; }
fail() { echo "replicas: FAIL $*" >&2; exit 1; }

pg_isready -h 127.0.0.1 -p "$port_pg" -q || fail "no PostgreSQL on 127.0.0.1:$port_pg"
sfx="$(date +%s)_$$_$RANDOM"
db="keycare_replicas_$sfx"
url="postgres://$super@127.0.0.1:$port_pg/$db"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/keycare-replicas.XXXXXX")"
pid_a=""
pid_b=""

stop_pid() {
  local pid="$1"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  local rc=$?
  stop_pid "$pid_a"
  stop_pid "$pid_b"
  psql "postgres://$super@127.0.0.1:$port_pg/postgres" -X -q -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 || true
  if [ "$rc" -ne 0 ] && [ -d "$tmp" ]; then
    for f in "$tmp"/*.log; do [ -s "$f" ] && { echo "--- $(basename "$f") (last lines)" >&2; tail -n 15 "$f" >&2; }; done
  fi
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
sql() { psql "$url" -X -v ON_ERROR_STOP=1 -At -q -c "$1"; }
wait_ready() { # wait_ready NAME PID PORT
  for _ in $(seq 1 150); do
    kill -0 "$2" 2>/dev/null || fail "$1 exited: $(sed 's/\x1b\[[0-9;]*m//g' "$tmp/$1.log" | tail -n 1)"
    [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$3/readyz")" = 200 ] && return 0
    sleep 0.2
  done
  fail "$1: /readyz not 200 within 30 s"
}
# gql PORT TOKEN QUERY [VARIABLES_JSON] : prints "HTTP_STATUS BODY"
gql() {
  local vars="${4:-}"
  [ -n "$vars" ] || vars='{}'
  python3 -c 'import json, sys; print(json.dumps({"query": sys.argv[1], "variables": json.loads(sys.argv[2])}))' \
    "$3" "$vars" >"$tmp/body.json"
  curl -sS --max-time 15 -o "$tmp/resp.json" -w '%{http_code}' -H "authorization: Bearer $2" \
    -H 'content-type: application/json' --data-binary @"$tmp/body.json" "http://127.0.0.1:$1/graphql"
  printf ' '
  cat "$tmp/resp.json"
}
# data EXPR : reads "STATUS BODY", prints a Python expression on `d` (the parsed body); fails on errors
data() {
  python3 -c 'import json, sys
status, _, body = sys.stdin.read().partition(" ")
d = json.loads(body)
if status != "200" or d.get("errors"): sys.exit("HTTP " + status + " " + body[:400])
print(eval(sys.argv[1]))' "$1"
}
# refusal : reads "STATUS BODY", prints "STATUS CODE: message" of the first error
refusal() {
  python3 -c 'import json, sys
status, _, body = sys.stdin.read().partition(" ")
e = (json.loads(body).get("errors") or [{}])[0]
print(status, (e.get("extensions") or {}).get("code"), "\"" + str(e.get("message")) + "\"")'
}
token() { "$KEYCARE_BIN" token "$1" --database-url "$url" --data-dir "$tmp/data"; }

# --- two replicas, one database, one data directory
psql "postgres://$super@127.0.0.1:$port_pg/postgres" -X -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"$db\""
port_a="$(free_port)"
"$KEYCARE_BIN" serve --demo --addr "127.0.0.1:$port_a" --data-dir "$tmp/data" --database-url "$url" >"$tmp/replica-a.log" 2>&1 &
pid_a=$!
wait_ready replica-a "$pid_a" "$port_a"
port_b="$(free_port)"
KEYCARE_DEV_ISSUER=true "$KEYCARE_BIN" serve --addr "127.0.0.1:$port_b" --data-dir "$tmp/data" --database-url "$url" >"$tmp/replica-b.log" 2>&1 &
pid_b=$!
wait_ready replica-b "$pid_b" "$port_b"
ok "replica A (serve --demo) on 127.0.0.1:$port_a and replica B (KEYCARE_DEV_ISSUER=true, no --demo) on 127.0.0.1:$port_b, one database $db, one --data-dir"
dev_jwks="$(sql "SELECT string_agg(DISTINCT jwks_url, ' ') FROM identity_providers WHERE is_development")"
note "the demo councils' development provider now points at $dev_jwks: each replica re-points it at its own JWKS when it starts, so the last one started serves the key for both (the same key, from the shared data directory)"

# --- a token works on both
keycarer="$(token keycarer.oak@northshire.example)"
name_a="$(gql "$port_a" "$keycarer" '{ me { name } }' | data 'd["data"]["me"]["name"]')" || fail "me on A"
name_b="$(gql "$port_b" "$keycarer" '{ me { name } }' | data 'd["data"]["me"]["name"]')" || fail "me on B"
[ "$name_a" = "$name_b" ] || fail "me differs: A '$name_a', B '$name_b'"
ok "one token (keycarer.oak) on both: me = $name_a on A and on B"

# --- a write on A reads on B at once
child="$(gql "$port_a" "$keycarer" '{ children(filter: { myKeyChildren: true }) { edges { node { id } } } }' |
  data 'd["data"]["children"]["edges"][0]["node"]["id"]')" || fail "children on A"
write_log='mutation WriteLog($child: ID!, $now: DateTime!, $text: String!) {
  writeDailyLog(input: { childId: $child, occurredAt: $now, text: $text, categories: ["routine"] }) { dailyLog { id } } }'
text="Written on A, read on B, $sfx."
log_gid="$(gql "$port_a" "$keycarer" "$write_log" "{\"child\": \"$child\", \"now\": \"$(date -u +%Y-%m-%dT%H:%M:%SZ)\", \"text\": \"$text\"}" |
  data 'd["data"]["writeDailyLog"]["dailyLog"]["id"]')" || fail "writeDailyLog on A"
back="$(gql "$port_b" "$keycarer" 'query($id: ID!) { node(id: $id) { ... on DailyLog { text } } }' "{\"id\": \"$log_gid\"}" |
  data 'd["data"]["node"]["text"]')" || fail "reading A's daily log on B"
[ "$back" = "$text" ] || fail "B reads '$back'"
ok "writeDailyLog on A, read by id on B straight after: the same text"

# --- 50 writes alternating between A and B, from 2 concurrent clients
staff="$(token staff.oak@northshire.example)"
events_before="$(sql "SELECT count(*) FROM access_events")"
python3 - "$port_a" "$port_b" "$child" "$sfx" "$keycarer" "$staff" >"$tmp/alternating.txt" <<'PY' || fail "alternating writes: $(cat "$tmp/alternating.txt")"
import json, sys, threading, urllib.request, datetime
port_a, port_b, child, sfx, *tokens = sys.argv[1:]
query = """mutation WriteLog($child: ID!, $now: DateTime!, $text: String!) {
  writeDailyLog(input: { childId: $child, occurredAt: $now, text: $text, categories: ["routine"] }) { dailyLog { id } } }"""
results, lock = [], threading.Lock()
def client(n, token):
    for i in range(25):
        port = (port_a, port_b)[(i + n) % 2]  # client 0 starts on A, client 1 on B
        body = json.dumps({"query": query, "variables": {"child": child,
            "now": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "text": f"Alternating write {sfx} client {n} #{i}"}}).encode()
        req = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", body,
            {"authorization": "Bearer " + token, "content-type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=15) as r:
                d = json.load(r)
                good = not d.get("errors") and d["data"]["writeDailyLog"]["dailyLog"]["id"]
        except Exception as e:  # noqa: BLE001
            good, d = False, str(e)
        with lock:
            results.append((port, bool(good), d))
threads = [threading.Thread(target=client, args=(n, t)) for n, t in enumerate(tokens)]
[t.start() for t in threads]
[t.join(60) for t in threads]
bad = [r for r in results if not r[1]]
if len(results) != 50 or bad:
    sys.exit(f"{len(results)} answered, {len(bad)} failed; first: {str(bad[:1])[:400]}")
print(sum(1 for r in results if r[0] == port_a), sum(1 for r in results if r[0] == port_b))
PY
read -r on_a on_b <"$tmp/alternating.txt"
written="$(sql "SELECT count(*) FROM daily_logs WHERE text LIKE 'Alternating write $sfx %'")"
events_after="$(sql "SELECT count(*) FROM access_events")"
[ "$written" = 50 ] || fail "alternating writes: $written daily logs stored, 50 expected"
"$KEYCARE_BIN" audit verify --database-url "$url" >"$tmp/verify.txt" 2>&1 || fail "audit verify after alternating writes: $(cat "$tmp/verify.txt")"
ok "50 writeDailyLog from 2 concurrent clients (keycarer.oak, staff.oak) alternating, $on_a on A and $on_b on B: 50 stored; access log $events_before -> $events_after events; keycare audit verify: $(paste -sd ';' "$tmp/verify.txt" | sed 's/;/; /g')"

# --- deactivation through A is seen by both
admin="$(token admin@northshire.example)"
gql "$port_a" "$staff" '{ me { name } }' | data '"ok"' >/dev/null || fail "staff.oak before deactivation on A"
gql "$port_b" "$staff" '{ me { name } }' | data '"ok"' >/dev/null || fail "staff.oak before deactivation on B"
read -r staff_id staff_version < <(gql "$port_a" "$admin" '{ users(filter: { search: "staff.oak@" }) { edges { node { id email version } } } }' |
  data '" ".join(str(x) for x in [[e["node"]["id"], e["node"]["version"]] for e in d["data"]["users"]["edges"] if e["node"]["email"] == "staff.oak@northshire.example"][0])') ||
  fail "users on A as admin"
active="$(gql "$port_a" "$admin" 'mutation($id: ID!, $v: Int!) { deactivateUser(input: { id: $id, expectedVersion: $v }) { user { active } } }' \
  "{\"id\": \"$staff_id\", \"v\": $staff_version}" | data 'd["data"]["deactivateUser"]["user"]["active"]')" || fail "deactivateUser on A"
[ "$active" = False ] || fail "deactivateUser answered active = $active"
refused_a="$(gql "$port_a" "$staff" '{ me { name } }' | refusal)"
refused_b="$(gql "$port_b" "$staff" '{ me { name } }' | refusal)"
[ "$refused_a" = '403 FORBIDDEN "account deactivated"' ] || fail "staff.oak on A after deactivation: $refused_a"
[ "$refused_b" = '403 FORBIDDEN "account deactivated"' ] || fail "staff.oak on B after deactivation: $refused_b"
ok "deactivateUser(staff.oak) as admin on A: staff.oak's token, good on both before, is refused at once on A and on B: $refused_b"

# --- an identity provider configured through A, used on B
issuer="https://idp.replica-$sfx.example"
audience="keycare-replica-try"
subject="replica-subject-$sfx"
kid="$(curl -sS --max-time 5 "http://127.0.0.1:$port_a/dev-issuer/jwks.json" | python3 -c 'import json, sys; print(json.load(sys.stdin)["keys"][0]["kid"])')"
# A token of that new issuer, signed (ES256) with a key whose JWKS is served on loopback (the
# development issuer's: development allows http and loopback for JWKS URLs).
sign_token() { # sign_token AUDIENCE : a token of $issuer for $subject
  python3 - "$tmp/data/dev-issuer-key.pem" "$kid" "$issuer" "$1" "$subject" <<'PY' || fail "signing a token for the new issuer"
import base64, json, subprocess, sys, time, uuid
key, kid, iss, aud, sub = sys.argv[1:]
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
now = int(time.time())
head = b64(json.dumps({"alg": "ES256", "typ": "JWT", "kid": kid}).encode())
body = b64(json.dumps({"iss": iss, "aud": aud, "sub": sub, "iat": now, "nbf": now, "exp": now + 900,
                       "jti": str(uuid.uuid4()), "email": "replica.tester@northshire.example"}).encode())
der = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key], input=f"{head}.{body}".encode(),
                     capture_output=True, check=True).stdout
i = 2 + (der[1] & 0x7F if der[1] & 0x80 else 0)  # SEQUENCE { INTEGER r, INTEGER s }
ints = []
for _ in range(2):
    assert der[i] == 2
    n = der[i + 1]
    ints.append(int.from_bytes(der[i + 2:i + 2 + n], "big").to_bytes(32, "big"))
    i += 2 + n
print(f"{head}.{body}.{b64(ints[0] + ints[1])}")
PY
}
idp_token="$(sign_token "$audience")"
before_b="$(gql "$port_b" "$idp_token" '{ me { name } }' | refusal)"
case "$before_b" in 401\ UNAUTHENTICATED*) ;; *) fail "the new issuer's token on B before it is configured: $before_b" ;; esac
jwks="http://127.0.0.1:$port_a/dev-issuer/jwks.json"
configured_at="$(date +%s.%N)"
gql "$port_a" "$admin" 'mutation($i: String!, $a: String!, $j: String!) {
  configureIdentityProvider(input: { issuer: $i, audience: $a, jwksUrl: $j }) { identityProvider { issuer } } }' \
  "{\"i\": \"$issuer\", \"a\": \"$audience\", \"j\": \"$jwks\"}" | data 'd["data"]["configureIdentityProvider"]["identityProvider"]["issuer"]' >/dev/null ||
  fail "configureIdentityProvider on A"
gql "$port_a" "$admin" 'mutation($i: String!, $s: String!) {
  createUser(input: { name: "Replica Tester", email: "replica.tester@northshire.example", issuer: $i, subject: $s }) { user { id } } }' \
  "{\"i\": \"$issuer\", \"s\": \"$subject\"}" | data 'd["data"]["createUser"]["user"]["id"]' >/dev/null || fail "createUser for the new issuer on A"
poll_sign_in() { # poll_sign_in TOKEN SINCE SECONDS : when each replica first signs the token in
  python3 - "$port_a" "$port_b" "$1" "$2" "$3" <<'PY'
import json, sys, time, urllib.request, urllib.error
port_a, port_b, token, t0, limit = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), float(sys.argv[5])
seen, refused, tries = {}, {}, {"A": 0, "B": 0}
body = json.dumps({"query": "{ me { name } }"}).encode()
while len(seen) < 2 and time.time() - t0 < limit:
    for name, port in (("A", port_a), ("B", port_b)):
        if name in seen:
            continue
        tries[name] += 1
        req = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", body,
            {"authorization": "Bearer " + token, "content-type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=5) as r:
                d = json.load(r)
                if (d.get("data") or {}).get("me", {}).get("name") == "Replica Tester":
                    seen[name] = time.time() - t0
        except urllib.error.HTTPError as e:
            refused.setdefault(name, f'{e.code} "{json.load(e)["errors"][0]["message"]}"')
    time.sleep(0.1)
def told(n):
    if n not in seen:
        return f"{n}: not within {limit:.0f} s ({refused.get(n)})"
    if tries[n] == 1:
        return f"{n}: {seen[n]:.1f} s, at the first try"
    return f"{n}: {seen[n]:.1f} s, after {tries[n] - 1} refusals ({refused.get(n)})"
print("; ".join(told(n) for n in "AB"))
sys.exit(0 if "B" in seen and seen["B"] <= 7.0 else 1)
PY
}
poll_sign_in "$idp_token" "$configured_at" 10 >"$tmp/idp-times.txt" || fail "the new provider on the replicas: $(cat "$tmp/idp-times.txt")"
ok "configureIdentityProvider + createUser as admin on A: the new issuer's token (refused by B just before: $before_b) signs in on B within its 5 s issuer-directory reload; from the configureIdentityProvider call to the first success: $(cat "$tmp/idp-times.txt")"

# A known issuer's changed settings reach every replica within the reload interval.
changed_at="$(date +%s.%N)"
gql "$port_a" "$admin" 'mutation($i: String!, $a: String!, $j: String!) {
  configureIdentityProvider(input: { issuer: $i, audience: $a, jwksUrl: $j }) { identityProvider { audience } } }' \
  "{\"i\": \"$issuer\", \"a\": \"$audience-2\", \"j\": \"$jwks\"}" | data 'd["data"]["configureIdentityProvider"]["identityProvider"]["audience"]' >/dev/null ||
  fail "configureIdentityProvider (new audience) on A"
poll_sign_in "$(sign_token "$audience-2")" "$changed_at" 10 >"$tmp/aud-times.txt" ||
  fail "the changed audience on the replicas: $(cat "$tmp/aud-times.txt")"
old_a="$(gql "$port_a" "$idp_token" '{ me { name } }' | refusal | cut -d' ' -f1)"
old_b="$(gql "$port_b" "$idp_token" '{ me { name } }' | refusal | cut -d' ' -f1)"
[ "$old_a" = 401 ] && [ "$old_b" = 401 ] ||
  fail "a token for the old audience still answered $old_a on A and $old_b on B"
ok "the same issuer reconfigured through A with a new audience: a token for the new audience signs in, $(cat "$tmp/aud-times.txt"); one for the old audience is refused (401) on A and on B"

# --- what is per replica
beech="$(token manager.beech@northshire.example)"
python3 -c 'import json; print(json.dumps({"query": "{ me { name } }"}))' >"$tmp/me.json"
sent=0
limited=""
for _ in $(seq 1 120); do
  sent=$((sent + 1))
  code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H "authorization: Bearer $beech" -H 'content-type: application/json' \
    --data-binary @"$tmp/me.json" "http://127.0.0.1:$port_a/graphql")"
  [ "$code" = 429 ] && { limited=yes; break; }
done
[ -n "$limited" ] || fail "rate limit: 120 requests of one user on A without a 429"
code_b="$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H "authorization: Bearer $beech" -H 'content-type: application/json' \
  --data-binary @"$tmp/me.json" "http://127.0.0.1:$port_b/graphql")"
[ "$code_b" = 200 ] || fail "rate limit: B answered $code_b to the user A had just limited"
ok "rate limits are per replica: with KEYCARE_RATE_PER_USER=300 (burst 30) manager.beech got 429 on A at request $sent, and 200 on B straight after"

apq_query='query ReplicaApq { me { name } }'
hash="$(printf '%s' "$apq_query" | sha256sum | cut -d' ' -f1)"
apq() { # apq PORT [with-query] : "STATUS BODY" of an automatic persisted query
  python3 -c 'import json, sys; e = {"persistedQuery": {"version": 1, "sha256Hash": sys.argv[1]}}
print(json.dumps({"query": sys.argv[2], "extensions": e} if len(sys.argv) > 3 else {"extensions": e}))' "$hash" "$apq_query" ${2:+yes} >"$tmp/apq.json"
  curl -sS --max-time 5 -o "$tmp/apq-resp.json" -w '%{http_code}' -H "authorization: Bearer $keycarer" -H 'content-type: application/json' \
    --data-binary @"$tmp/apq.json" "http://127.0.0.1:$1/graphql"
  printf ' '
  cat "$tmp/apq-resp.json"
}
apq "$port_a" with-query | data 'd["data"]["me"]["name"]' >/dev/null || fail "APQ: registering on A"
apq "$port_a" | data 'd["data"]["me"]["name"]' >/dev/null || fail "APQ: the hash alone on A after registering"
apq_b="$(apq "$port_b" | refusal)"
case "$apq_b" in *PERSISTED_QUERY_NOT_FOUND*) ;; *) fail "APQ: the hash registered on A, sent alone to B: $apq_b" ;; esac
ok "automatic persisted queries are per replica: registered on A, the hash alone works on A and on B is $apq_b (a client sends the query again, as Apollo's protocol says)"
note "not exercised: load shedding (max_in_flight, max_in_flight_per_council) and websockets per user are counted per replica too; browser sessions are rows in the database, shared"

echo "replicas: $passed checks passed in $(($(date +%s) - t0)) s"
