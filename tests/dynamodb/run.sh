#!/usr/bin/env bash
# The ctest driver of tests/dynamodb/ (docs/dynamodb.md "Testing"): starts
# `$CLOUDLITE_BIN dynamodb serve` on a store, waits until it answers, runs one test against it,
# and stops it by pid.
#   run.sh CASE [STORE_KIND]
#   CASE:       aws_cli | boto3 | js       a client scenario against one server
#               differential                differential.py, DynamoDB Local against the server
#               two_servers                 two servers over one store, concurrent increments
#               auth                        a server with --credentials FILE: SigV4 refusals
#               differential_selftest       differential.py --self-test, DynamoDB Local against
#                                           itself with the candidate's answers perturbed: it
#                                           must find, report and shrink the difference (no
#                                           server needed)
#   STORE_KIND: file (default: file:// in a temporary directory) or s3 (a fresh prefix under
#               $CLOUDLITE_TEST_S3_URI, which scripts/rgw-start.sh prints)
# Exits 77 (ctest's skip) when the binary has no `dynamodb serve` yet, when s3 is asked for
# without $CLOUDLITE_TEST_S3_URI, when the differential has no DynamoDB Local
# ($CLOUDLITE_DDB_REFERENCE or $AWS_ENDPOINT_URL_DYNAMODB, from scripts/dynamodb-start.sh), or
# when the client itself (aws, boto3, node/npm) is missing.
# CLOUDLITE_DDB_SERVE_FLAGS adds flags to every `serve`; DIFF_OPS / DIFF_SEED / DIFF_SECONDS /
# DIFF_SHRINK_SECONDS bound the differential (default 500 operations, a seed from the clock, 300 s
# per seed, 120 s of shrinking); DIFF_SEED may be a list ("1 2 3"), run one after the other.
set -euo pipefail
case_name=${1:?usage: run.sh CASE [file|s3]}
kind=${2:-file}
bin=${CLOUDLITE_BIN:?set by ctest: the cloudlite binary}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }

if [[ $case_name == differential_selftest ]]; then
  reference=${CLOUDLITE_DDB_REFERENCE:-${AWS_ENDPOINT_URL_DYNAMODB:-}}
  [[ -n $reference ]] || skip "no DynamoDB Local: eval \"\$(scripts/dynamodb-start.sh)\" first"
  python3 -c 'import botocore' 2>/dev/null || skip "botocore is not installed"
  set +e
  out=$(CLOUDLITE_DDB_REFERENCE=$reference CLOUDLITE_DDB_CANDIDATE=$reference \
    python3 "$here/differential.py" --self-test --seed 7 --ops 300 --shrink-seconds 60 2>&1)
  rc=$?
  set -e
  head -c 4000 <<<"$out"
  [[ $rc == 1 ]] || fail "the self-test exited $rc, want 1 (a difference found)"
  grep -q "minimal sequence (1 of" <<<"$out" || fail "the difference was not shrunk to one operation"
  grep -q '"perturbed"' <<<"$out" || fail "the report does not show the perturbed answer"
  echo "== differential_selftest: passed"
  exit 0
fi

# `dynamodb serve --help` must be serve's own help: without the subcommand, CLI11 prints the
# parent's help and exits 0 as well.
"$bin" dynamodb serve --help 2>&1 | grep -q -- --listen || skip "$bin has no 'dynamodb serve'"
case $case_name in
  aws_cli) command -v aws >/dev/null || skip "the AWS CLI is not installed (apt-get install awscli)" ;;
  boto3 | two_servers | auth)
    python3 -c 'import boto3' 2>/dev/null || skip "boto3 is not installed (apt-get install python3-boto3)" ;;
  js)
    command -v npm >/dev/null || skip "npm is not installed"
    command -v node >/dev/null || skip "node is not installed" ;;
  differential)
    python3 -c 'import botocore' 2>/dev/null || skip "botocore is not installed"
    reference=${CLOUDLITE_DDB_REFERENCE:-${AWS_ENDPOINT_URL_DYNAMODB:-}}
    [[ -n $reference ]] || skip "no DynamoDB Local: eval \"\$(scripts/dynamodb-start.sh)\" first" ;;
  *) fail "unknown case $case_name" ;;
esac
if [[ $case_name == auth ]]; then
  "$bin" dynamodb serve --help 2>&1 | grep -q -- --credentials ||
    skip "$bin dynamodb serve has no --credentials"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/cloudlite-ddb-test.XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

case $kind in
  file) mkdir -p "$work/store"; store="file://$work/store" ;;
  s3)
    [[ -n ${CLOUDLITE_TEST_S3_URI:-} ]] || skip "no CLOUDLITE_TEST_S3_URI: eval \"\$(scripts/rgw-start.sh)\" first"
    store="${CLOUDLITE_TEST_S3_URI%/}/dynamodb-$case_name-$RANDOM$RANDOM" ;;
  *) fail "unknown store kind $kind (file or s3)" ;;
esac

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# answers URL: an unsigned ListTables gets a DynamoDB answer (200, or 400 from a server that
# wants a signature).
answers() {
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' -m 5 -X POST "$1/" \
    -H 'Content-Type: application/x-amz-json-1.0' \
    -H 'X-Amz-Target: DynamoDB_20120810.ListTables' -d '{}') || true
  [[ $code == 200 || $code == 400 ]]
}

# start_server [FLAGS...]: a server on $store at a free port; sets $url and $server_pid.
start_server() {
  local port log
  port=$(free_port)
  log="$work/server-$port.log"
  # shellcheck disable=SC2086  # CLOUDLITE_DDB_SERVE_FLAGS is a list of flags
  "$bin" dynamodb serve --store "$store" --listen "127.0.0.1:$port" "$@" \
    ${CLOUDLITE_DDB_SERVE_FLAGS:-} 2>"$log" >&2 &
  server_pid=$!
  pids+=("$server_pid")
  url="http://127.0.0.1:$port"
  for _ in $(seq 1 300); do
    answers "$url" && return 0
    kill -0 "$server_pid" 2>/dev/null || { cat "$log" >&2; fail "the server exited at start"; }
    sleep 0.1
  done
  cat "$log" >&2
  fail "the server did not answer within 30 s"
}

# stop_server PID: SIGTERM, and it must exit within 10 s.
stop_server() {
  kill -TERM "$1"
  for _ in $(seq 1 100); do
    kill -0 "$1" 2>/dev/null || { wait "$1" || true; return 0; }
    sleep 0.1
  done
  fail "server pid $1 did not stop within 10 s of SIGTERM"
}

echo "== $case_name on $store"
if [[ $case_name == auth ]]; then
  # Test keys, not secrets: the server only checks signatures made with them.
  export CLOUDLITE_DDB_KEY=CLOUDLITEAUTHKEY0001
  export CLOUDLITE_DDB_SECRET=cloudliteAuthSecret000000000000000000001
  printf '# access key, secret\n%s %s\n' "$CLOUDLITE_DDB_KEY" "$CLOUDLITE_DDB_SECRET" \
    >"$work/credentials"
  start_server --credentials "$work/credentials"
else
  start_server
fi
first_pid=$server_pid first_url=$url
export CLOUDLITE_DDB_ENDPOINT=$first_url
case $case_name in
  aws_cli) "$here/aws_cli.sh" ;;
  boto3) python3 "$here/boto3_scenario.py" ;;
  js)
    npm_dir=$(CLOUDLITE_NPM_DIR=${CLOUDLITE_NPM_DIR_DYNAMODB:-/tmp/cloudlite-npm-dynamodb} \
      CLOUDLITE_NPM_MANIFEST="$here/node/package.json" "$root/scripts/npm-deps.sh")
    ln -s "$npm_dir/node_modules" "$work/node_modules"
    cp "$here/js_scenario.mjs" "$work/"
    NODE_NO_WARNINGS=1 node "$work/js_scenario.mjs" ;;
  differential)
    # DIFF_SEED may list several seeds: each is a run of its own, on tables of its own.
    for seed in ${DIFF_SEED:-clock}; do
      seed_flag=()
      [[ $seed == clock ]] || seed_flag=(--seed "$seed")
      CLOUDLITE_DDB_REFERENCE=$reference CLOUDLITE_DDB_CANDIDATE=$first_url \
        python3 "$here/differential.py" --ops "${DIFF_OPS:-500}" \
        --max-seconds "${DIFF_SECONDS:-300}" --shrink-seconds "${DIFF_SHRINK_SECONDS:-120}" \
        "${seed_flag[@]}"
    done ;;
  auth) python3 "$here/auth_scenario.py" ;;
  two_servers)
    start_server
    echo "-- two servers: $first_url and $url over one store"
    python3 "$here/concurrent_increments.py" "$first_url" "$url"
    stop_server "$server_pid" ;;
esac
stop_server "$first_pid"
echo "== $case_name on $kind: passed"
