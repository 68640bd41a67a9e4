#!/usr/bin/env bash
# Starts `tenantry serve` on a database of its own in the test cluster, then runs console.test.mjs against it.
# Usage: run_console_test.sh TENANTRY_BINARY SCREENSHOT_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../support/await_port.sh
source "$here/../support/await_port.sh"
tenantry=$1
shots=$2
conninfo=${TENANTRY_TEST_DATABASE_URL:-$(cat "$TENANTRY_TEST_CLUSTER_DIR/conninfo")}
db="browser_$$_$RANDOM"
log=$(mktemp)
mail_dir=$(mktemp -d)
server=""
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  psql "$conninfo dbname=postgres" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$log" "$mail_dir"
}
trap cleanup EXIT

if [ ! -d "$here/node_modules/playwright-core" ]; then
  (cd "$here" && npm ci --no-audit --no-fund >/dev/null)
fi
psql "$conninfo dbname=postgres" -qc "CREATE DATABASE $db" >/dev/null
export TENANTRY_DATABASE_URL="$conninfo dbname=$db" TENANTRY_MAIL_FILE_DIR="$mail_dir"
"$tenantry" migrate >/dev/null
export ADMIN_EMAIL=admin@console.test ADMIN_PASSWORD=console-password-1
echo "$ADMIN_PASSWORD" | "$tenantry" admin create-user "$ADMIN_EMAIL" --password-stdin >/dev/null
"$tenantry" tenant create seeded --name "Seeded Store" >/dev/null

TENANTRY_LISTEN=127.0.0.1:0 TENANTRY_SERVER_ACCESS_LOG=false "$tenantry" serve >"$log" 2>&1 &
server=$!
await_port "$server" "$log"
BASE_URL="http://127.0.0.1:$port" SCREENSHOTS="$shots" node "$here/console.test.mjs"
# The owner named in the console's creation form was invited by mail.
grep -lq '^To: owner@console.test' "$mail_dir"/*.eml || { echo "no owner invitation was mailed"; exit 1; }
