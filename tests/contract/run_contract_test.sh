#!/usr/bin/env bash
# Contract test of the server's OpenAPI 3.1 documents with third-party tools. Starts `tenantry serve` on a
# database of its own in the test cluster (like tests/browser/run_console_test.sh), fetches the public and the
# store document and then:
#   1. validates both with @seriousme/openapi-schema-validator and `redocly lint` (redocly.yaml: recommended);
#   2. generates TypeScript types with openapi-typescript, type-checks scenario.ts (openapi-fetch) with
#      `tsc --strict --noEmit`, transpiles and runs it: every response is checked against the document (ajv);
#   3. runs fuzz.mjs, a seeded fuzz of every operation of both documents driven by their schemas.
# Every step runs even when an earlier one failed (as far as it can); the exit status is 1 if any failed.
# Usage: run_contract_test.sh TENANTRY_BINARY [OUTPUT_DIR]
#   OUTPUT_DIR keeps the documents, the lint reports, the generated types and the server's log (default: a
#   temporary directory).
# Environment: CONTRACT_FUZZ_SEED (default 20261202), CONTRACT_FUZZ_CASES (cases per operation, default 10).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../support/await_port.sh
source "$here/../support/await_port.sh"
tenantry=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
conninfo=${TENANTRY_TEST_DATABASE_URL:-$(cat "$TENANTRY_TEST_CLUSTER_DIR/conninfo")}
db="contract_$$_$RANDOM"
log=$(mktemp)
mail_dir=$(mktemp -d)
work=$(mktemp -d)
out=${2:-$work/out}
mkdir -p "$out"
out=$(cd "$out" && pwd)
server=""
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  cp "$log" "$out/server.log" 2>/dev/null || true
  psql "$conninfo dbname=postgres" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$log" "$mail_dir" "$work"
}
trap cleanup EXIT

for dep in @redocly/cli @seriousme/openapi-schema-validator ajv ajv-formats openapi-fetch openapi-typescript typescript; do
  if [ ! -d "$here/node_modules/$dep" ]; then
    (cd "$here" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
    break
  fi
done
bin=$here/node_modules/.bin
# Redocly CLI: no usage telemetry, no update check against the registry.
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true NO_COLOR=1

psql "$conninfo dbname=postgres" -qc "CREATE DATABASE $db" >/dev/null
export TENANTRY_DATABASE_URL="$conninfo dbname=$db" TENANTRY_MAIL_FILE_DIR="$mail_dir"
"$tenantry" migrate >/dev/null
export ADMIN_EMAIL=admin@contract.test ADMIN_PASSWORD=contract-password-1
echo "$ADMIN_PASSWORD" | "$tenantry" admin create-user "$ADMIN_EMAIL" --password-stdin >/dev/null
# The store whose document is fetched (every store serves the same one).
"$tenantry" tenant create contract --name "Contract Store" >/dev/null

# The scenario and the fuzz make many accounts, logins and mails from one address within a minute: the
# throttles (which answer 429, a declared problem) are raised so that the run does not depend on timing.
TENANTRY_LISTEN=127.0.0.1:0 TENANTRY_SERVER_ACCESS_LOG=false \
  TENANTRY_AUTH_LOGIN_PER_ACCOUNT_PER_MINUTE=1000 TENANTRY_AUTH_LOGIN_PER_ADDRESS_PER_MINUTE=10000 \
  TENANTRY_AUTH_SIGNUP_PER_ADDRESS_PER_MINUTE=1000 TENANTRY_AUTH_SIGNUP_PER_MINUTE=1000 \
  TENANTRY_AUTH_ADMIN_TENANT_CREATIONS_PER_MINUTE=1000 \
  TENANTRY_AUTH_MAIL_PER_ADDRESS_PER_MINUTE=10000 TENANTRY_AUTH_MAIL_PER_RECIPIENT_PER_MINUTE=1000 \
  "$tenantry" serve >"$log" 2>&1 &
server=$!
await_port "$server" "$log"

failed=()
# step NAME COMMAND...: runs one check, timed; a failure is recorded and the run goes on.
step() {
  local name=$1 start=$SECONDS
  shift
  echo "== $name"
  if "$@"; then
    echo "== $name: ok ($((SECONDS - start)) s)"
  else
    echo "== $name: FAILED ($((SECONDS - start)) s)"
    failed+=("$name")
    return 1
  fi
}

curl -fsS "http://127.0.0.1:$port/api/openapi.json" -o "$out/public-openapi.json"
curl -fsS -H "Host: contract.localhost" "http://127.0.0.1:$port/api/openapi.json" -o "$out/store-openapi.json"
docs=("$out/public-openapi.json" "$out/store-openapi.json")

# 1. The documents themselves.
step "openapi-schema-validator" node "$here/validate.mjs" "${docs[@]}" || true
# Linted beside redocly.yaml and its ignore file (whose keys are the documents' names there), indented so
# that the reports' line numbers point somewhere.
mkdir -p "$work/lint"
cp "$here/redocly.yaml" "$here/.redocly.lint-ignore.yaml" "$work/lint/"
for doc in "${docs[@]}"; do
  node -e 'const fs = require("fs"); fs.writeFileSync(process.argv[2], JSON.stringify(JSON.parse(fs.readFileSync(process.argv[1], "utf8")), null, 2) + "\n")' \
    "$doc" "$work/lint/$(basename "$doc")"
done
for doc in "${docs[@]}"; do
  name=$(basename "$doc")
  step "redocly lint ${name%.json}" \
    bash -c 'cd "$1" && "$2" lint --config redocly.yaml --format stylish "$3" 2>&1 | grep -v "[║╔╚]" | tee "$4"; exit "${PIPESTATUS[0]}"' \
    _ "$work/lint" "$bin/redocly" "$name" "$out/${name%.json}.lint.txt" || true
done

# 2. Generated types, the typed scenario. It is compiled in a copy of this directory, beside its types.
cp "$here"/*.ts "$here"/*.mjs "$here"/*.d.mts "$here/package.json" "$here/tsconfig.json" "$work/"
ln -s "$here/node_modules" "$work/node_modules"
mkdir -p "$work/generated"
for api in public store; do
  step "openapi-typescript $api" "$bin/openapi-typescript" "$out/$api-openapi.json" \
    -o "$work/generated/$api-api.ts" --silent || true
done
types_ok=true
for api in public store; do
  if [ -s "$work/generated/$api-api.ts" ]; then cp "$work/generated/$api-api.ts" "$out/"; else types_ok=false; fi
done
if [ "$types_ok" = true ] && step "tsc --strict --noEmit" "$bin/tsc" -p "$work/tsconfig.json" --strict --noEmit; then
  # Type-checked: transpile it (node 20 cannot run TypeScript).
  step "transpile" node "$work/transpile.mjs" "$work/tsconfig.json" "$work/scenario.ts" &&
    step "scenario" env BASE_PORT="$port" MAIL_DIR="$mail_dir" \
      PUBLIC_DOC="$out/public-openapi.json" STORE_DOC="$out/store-openapi.json" node "$work/scenario.js" || true
fi

# 3. The fuzz of every operation.
step "fuzz" env BASE_PORT="$port" MAIL_DIR="$mail_dir" \
  PUBLIC_DOC="$out/public-openapi.json" STORE_DOC="$out/store-openapi.json" node "$work/fuzz.mjs" || true

if ! kill -0 "$server" 2>/dev/null; then
  status=0
  wait "$server" || status=$?
  echo "== the server is gone (exit status $status; 139 is SIGSEGV); the end of its log:"
  tail -40 "$log"
  failed+=("server alive")
  server=""
elif grep -qE '(^| )(ERROR|FATAL|CRITICAL)|critical:|error:' "$log"; then
  echo "== the server logged errors:"
  grep -E '(^| )(ERROR|FATAL|CRITICAL)|critical:|error:' "$log" | head -40
fi
if [ ${#failed[@]} -ne 0 ]; then
  echo "contract test FAILED: ${failed[*]}"
  exit 1
fi
echo "contract test passed"
