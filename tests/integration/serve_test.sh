#!/usr/bin/env bash
# `cloudlite serve` with real clients, on a file:// store (and on s3:// when
# CLOUDLITE_TEST_S3_URI names a test server, as scripts/test.sh arranges):
# - @libsql/client (Hrana 2) and @tursodatabase/serverless (Hrana 3) scripts;
# - CloudSQLite's README curl lines, verbatim;
# - JWT auth: no token, a read-only token, a read-write token;
# - bank transfers from 8 clients through two server processes on one store, then kill -9 of one
#   server under load and a restart: nothing acknowledged lost, totals kept, integrity_check ok.
# The npm clients are installed once into a cache outside the tree (scripts/npm-deps.sh).
set -euo pipefail
bin=${CLOUDLITE_BIN:?set by ctest}
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

npm_dir=$("$root/scripts/npm-deps.sh")
ln -s "$npm_dir/node_modules" "$work/node_modules"
cp "$root"/tests/integration/*.mjs "$work/"

# start_server STORE [FLAGS...]: starts a server on a free port; sets $url and $server_pid.
start_server() {
  local log
  log=$(mktemp -p "$work" server-XXXX.log)
  "$bin" serve --store "$1" --listen 127.0.0.1:0 --access-log off "${@:2}" 2>"$log" &
  server_pid=$!
  pids+=("$server_pid")
  url=""
  for _ in $(seq 1 300); do
    url=$(sed -n 's/.*listening on \(http[s]*:\/\/[^ ]*\).*/\1/p' "$log")
    [[ -n $url ]] && return 0
    kill -0 "$server_pid" 2>/dev/null || { cat "$log" >&2; fail "the server exited at start"; }
    sleep 0.1
  done
  cat "$log" >&2
  fail "the server did not start within 30 s"
}

run_on() {
  local store=$1
  echo "== $store"
  start_server "$store" --create
  local base=$url

  echo "-- @libsql/client"
  node "$work/libsql_client_test.mjs" "$base/clienttest/" || fail "@libsql/client checks"
  echo "-- @tursodatabase/serverless"
  node "$work/serverless_client_test.mjs" "$base/serverless/" || fail "serverless checks"

  echo "-- CloudSQLite's curl lines"
  API_URL=$base/cloudsqlite
  curl -sS -X POST $API_URL \
    -H "Content-Type: application/json" \
    -d '{"sql_statement": "SELECT 1 as test;"}' | grep -q '"test"' || fail "SELECT 1 as test"
  curl -sS -X POST $API_URL \
    -H "Content-Type: application/json" \
    -d '{"sql_statement": "CREATE TABLE test (id INTEGER PRIMARY KEY, name TEXT);"}' >/dev/null
  curl -sS -X POST $API_URL \
    -H "Content-Type: application/json" \
    -d '{"sql_statement": "INSERT INTO test (name) VALUES (\"Hello World\");"}' >/dev/null
  curl -sS -X POST $API_URL \
    -H "Content-Type: application/json" \
    -d '{"sql_statement": "SELECT * FROM test;"}' | grep -q 'Hello World' || fail "SELECT * FROM test"

  echo "-- health, readiness, metrics, a missing database without --create"
  [[ $(curl -s -o /dev/null -w '%{http_code}' "$base/health") == 200 ]] || fail "/health"
  [[ $(curl -s -o /dev/null -w '%{http_code}' "$base/readyz") == 200 ]] || fail "/readyz"
  # Whole, then grep: grep -q stopping early would make curl fail on a closed pipe (pipefail).
  local metrics
  metrics=$(curl -sS "$base/metrics")
  for m in cloudlite_http_requests_total cloudlite_sql_commits_total cloudlite_sql_group_size_count; do
    grep -q "^$m" <<<"$metrics" || fail "/metrics has no $m"
  done
  kill "$server_pid"
  wait "$server_pid" || fail "SIGTERM did not stop the server cleanly"
  start_server "$store"
  local code
  code=$(curl -s -o "$work/body" -w '%{http_code}' -X POST "$url/nosuchdb/v2/pipeline" \
    -H 'Content-Type: application/json' -d '{"requests":[{"type":"close"}]}')
  [[ $code == 404 ]] || fail "a missing database gave $code, want 404"
  kill "$server_pid"; wait "$server_pid" || true

  echo "-- bank transfers through two servers on one store, then kill -9 and restart"
  start_server "$store" --create
  local a=$url a_pid=$server_pid
  start_server "$store"
  local b=$url
  node "$work/bank_http_client.mjs" setup "$a/bank/" 10 || fail "bank setup"
  node "$work/bank_http_client.mjs" run "$a/bank/,$b/bank/" 8 25 "$work/acked" || fail "bank run"
  node "$work/bank_http_client.mjs" check "$a/bank/" 10 "$work/acked" || fail "bank check"
  node "$work/bank_http_client.mjs" run "$a/bank/,$b/bank/" 8 40 "$work/acked" &
  local load=$!
  sleep 1
  kill -9 "$a_pid"
  wait "$load" || true  # requests to the killed server fail: they were never acknowledged
  start_server "$store"
  node "$work/bank_http_client.mjs" check "$url/bank/" 10 "$work/acked" || fail "bank check after kill -9"
  "$bin" sql "$store/bank" "PRAGMA integrity_check" | grep -qx ok || fail "integrity_check"
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -f "$work/acked"
}

run_auth() {
  echo "== JWT auth"
  openssl genpkey -algorithm ed25519 -out "$work/jwt.key" 2>/dev/null
  openssl pkey -in "$work/jwt.key" -pubout -out "$work/jwt.pub" 2>/dev/null
  token() {  # token CLAIMS-JSON
    node -e '
      const { createPrivateKey, sign } = require("node:crypto");
      const key = createPrivateKey(require("node:fs").readFileSync(process.argv[1]));
      const b64 = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");
      const body = b64({ alg: "EdDSA", typ: "JWT" }) + "." + b64(JSON.parse(process.argv[2]));
      console.log(body + "." + sign(null, Buffer.from(body), key).toString("base64url"));
    ' "$work/jwt.key" "$1"
  }
  start_server "file://$work/auth-store" --create --auth-jwt-key-file "$work/jwt.pub"
  local rw ro pipeline='{"requests":[{"type":"execute","stmt":{"sql":"CREATE TABLE IF NOT EXISTS t (x)"}},{"type":"close"}]}'
  rw=$(token '{"a":"rw"}')
  ro=$(token '{"a":"ro"}')
  post() {  # post TOKEN -> HTTP status, body in $work/body
    curl -s -o "$work/body" -w '%{http_code}' -X POST "$url/db/v2/pipeline" \
      -H 'Content-Type: application/json' ${1:+-H "Authorization: Bearer $1"} -d "$pipeline"
  }
  [[ $(post "") == 401 ]] || fail "no token was not 401"
  [[ $(post "not.a.token") == 401 ]] || fail "a malformed token was not 401"
  [[ $(post "$rw") == 200 ]] || fail "a read-write token was refused: $(cat "$work/body")"
  grep -q '"type":"ok"' "$work/body" || fail "the read-write token could not write: $(cat "$work/body")"
  post "$ro" >/dev/null
  grep -q '"type":"error"' "$work/body" || fail "a read-only token wrote: $(cat "$work/body")"
  kill "$server_pid"; wait "$server_pid" || true
  if "$bin" serve --store "file://$work/auth-store" --listen 0.0.0.0:0 2>"$work/err"; then
    fail "served on 0.0.0.0 without auth"
  fi
  grep -q 'without auth' "$work/err" || fail "no reason given for refusing 0.0.0.0: $(cat "$work/err")"
}

# Both servers give their databases the library's CLOUDLITE_* environment, then --cache-size: a
# malformed value stops them at start, naming what to fix.
run_database_options() {
  local cmd
  for cmd in "serve" "dynamodb serve"; do
    # shellcheck disable=SC2086  # $cmd is one or two words
    # (timeout: a server that ignored the variable would serve until stopped)
    if CLOUDLITE_CACHE_SIZE=lots timeout 20 "$bin" $cmd --store "file://$work/opt-store" --listen 127.0.0.1:0 \
      2>"$work/err"; then
      fail "$cmd started with CLOUDLITE_CACHE_SIZE=lots"
    fi
    grep -q 'CLOUDLITE_CACHE_SIZE=lots' "$work/err" ||
      fail "$cmd did not name the bad variable: $(cat "$work/err")"
    # shellcheck disable=SC2086
    if timeout 20 "$bin" $cmd --store "file://$work/opt-store" --cache-size lots 2>"$work/err"; then
      fail "$cmd started with --cache-size lots"
    fi
    grep -q -- '--cache-size' "$work/err" || fail "$cmd did not name --cache-size: $(cat "$work/err")"
    # The frame cache's budget: a server's own default (256 MiB), unless the variable says.
    local env budget
    for env in "" "CLOUDLITE_CACHE_SIZE=536870912"; do
      budget=$(cache_budget "$env" "$cmd")
      local want=268435456
      [[ -z $env ]] || want=536870912
      [[ $budget == "$want" ]] || fail "$cmd ${env:-(no variable)}: frame cache budget $budget, want $want"
    done
  done
}

# cache_budget ENV CMD: starts the server CMD with ENV (NAME=VALUE or empty) and prints the frame
# cache budget its /metrics reports.
cache_budget() {
  local log address="" p value
  # A log of its own: the background job may not have truncated a reused one when the loop
  # below first reads it, and would show the last server's address.
  log=$(mktemp -p "$work" budget-XXXX.log)
  mkdir -p "$work/opt-store"
  # shellcheck disable=SC2086  # $2 is one or two words; $1 is empty or one assignment
  env $1 "$bin" $2 --store "file://$work/opt-store" --listen 127.0.0.1:0 2>"$log" &
  p=$!
  pids+=("$p")
  for _ in $(seq 1 300); do
    address=$(sed -n 's/.*listening on \(http:\/\/[^ ]*\).*/\1/p' "$log")
    [[ -n $address ]] && break
    kill -0 "$p" 2>/dev/null || break
    sleep 0.1
  done
  [[ -n $address ]] || { cat "$log" >&2; fail "$2 did not start"; }
  value=$(curl -sS "$address/metrics" | awk '$1 == "cloudlite_frame_cache_capacity_bytes" { printf "%.0f", $2 }')
  kill "$p"
  wait "$p" 2>/dev/null || true
  echo "$value"
}

run_on "file://$work/store"
run_auth
run_database_options
if [[ -n ${CLOUDLITE_TEST_S3_URI:-} ]]; then
  run_on "${CLOUDLITE_TEST_S3_URI%/}/serve-$RANDOM$RANDOM"
fi
echo "serve: all checks passed"
