#!/usr/bin/env bash
# GraphiQL in headless Chromium with no network beyond loopback (issue 11, item 5): starts
# `keycare serve --demo` in a temporary directory, takes a demo user's token from the
# development issuer, and runs browser/graphiql.mjs (Playwright driving /usr/bin/chromium).
#
# Usage: services/keycare/tests/graphiql-browser.sh [path/to/keycare]   (default: target/debug/keycare)
# Needs: node >= 20, npm (once, for playwright-core), chromium (apt-get install -y chromium).
# Screenshots go to $SCREENSHOT_DIR (default /tmp).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
bin="$(realpath "${1:-${CARGO_TARGET_DIR:-$root/target}/debug/keycare}")"
export CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
export SCREENSHOT_DIR="${SCREENSHOT_DIR:-/tmp}"
[ -x "$bin" ] || { echo "no gateway binary at $bin (cargo build -p keycare first)" >&2; exit 2; }
[ -x "$CHROMIUM" ] || { echo "no Chromium at $CHROMIUM (apt-get install -y chromium)" >&2; exit 2; }

if [ ! -d "$here/browser/node_modules/playwright-core" ]; then
  (cd "$here/browser" && npm ci --no-audit --no-fund --silent)
fi

work="$(mktemp -d)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
cd "$work"
"$bin" serve --demo --addr "127.0.0.1:$port" > serve.log 2>&1 &
server=$!
cleanup() {
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

for _ in $(seq 1 120); do
  curl -fsS "http://127.0.0.1:$port/readyz" > /dev/null 2>&1 && break
  kill -0 "$server" 2>/dev/null || { cat serve.log >&2; exit 1; }
  sleep 0.5
done
curl -fsS "http://127.0.0.1:$port/readyz" > /dev/null || { echo "gateway not ready" >&2; cat serve.log >&2; exit 1; }

token="$("$bin" token keycarer.oak@northshire.example)"
KEYCARE_URL="http://127.0.0.1:$port" KEYCARE_TOKEN="$token" node "$here/browser/graphiql.mjs"
