# Shared settings for dynamodb-start.sh / dynamodb-stop.sh: a throwaway DynamoDB Local (AWS's
# own emulator, the jar shipped in the npm package amplify-dynamodb-simulator), the DynamoDB
# server cloudlite's tests run against. Sourced, not executed.
#
# Override with environment variables:
#   CLOUDLITE_DYNAMODB_DIR    state directory: npm install, pid, log  (default /tmp/cloudlite-dynamodb)
#   CLOUDLITE_DYNAMODB_PORT   port                                     (default 8765)
#   CLOUDLITE_DYNAMODB_TABLE  table created for tests                  (default cloudlite-test)
#
# DynamoDB Local has no option to choose the address it listens on; dynamodb-start.sh preloads
# scripts/loopback-bind.c so that it listens on 127.0.0.1 only. It runs -inMemory (nothing on
# disk) with fixed dummy credentials.

DDB_DIR="${CLOUDLITE_DYNAMODB_DIR:-/tmp/cloudlite-dynamodb}"
DDB_PORT="${CLOUDLITE_DYNAMODB_PORT:-8765}"
DDB_TABLE="${CLOUDLITE_DYNAMODB_TABLE:-cloudlite-test}"
# The version tested with cloudlite (it ships DynamoDB Local 1.25.1).
DDB_NPM_PACKAGE="amplify-dynamodb-simulator@2.9.30"
DDB_NPM_DIR="$DDB_DIR/npm"
DDB_EMULATOR="$DDB_NPM_DIR/node_modules/amplify-dynamodb-simulator/emulator"
DDB_PID="$DDB_DIR/pid"
DDB_LOG="$DDB_DIR/dynamodb-local.log"
DDB_MARKER="$DDB_DIR/.cloudlite-dynamodb"  # proves the directory is ours before rm -rf
DDB_ENDPOINT="http://127.0.0.1:$DDB_PORT"

# Dummy credentials for a local emulator: not secrets. DynamoDB Local runs with -sharedDb, so
# any credentials and region see the same tables.
DDB_ACCESS_KEY="cloudlitelocal"
DDB_SECRET_KEY="cloudlitelocal"
DDB_REGION="us-east-1"

ddb_log() { echo "dynamodb: $*" >&2; }

# The AWS CLI against the emulator, with the dummy credentials and bounded timeouts.
ddb_aws() {
  env -u AWS_PROFILE -u AWS_SESSION_TOKEN AWS_ACCESS_KEY_ID="$DDB_ACCESS_KEY" \
    AWS_SECRET_ACCESS_KEY="$DDB_SECRET_KEY" AWS_DEFAULT_REGION="$DDB_REGION" \
    AWS_REGION="$DDB_REGION" AWS_MAX_ATTEMPTS=1 aws --cli-connect-timeout 2 --cli-read-timeout 10 \
    --endpoint-url "$DDB_ENDPOINT" dynamodb "$@"
}

# The environment a client needs, as shell you can eval.
ddb_print_env() {
  cat <<EOF
export AWS_ACCESS_KEY_ID=$DDB_ACCESS_KEY
export AWS_SECRET_ACCESS_KEY=$DDB_SECRET_KEY
export AWS_REGION=$DDB_REGION
export AWS_ENDPOINT_URL_DYNAMODB=$DDB_ENDPOINT
export CLOUDLITE_TEST_DYNAMODB_URI=dynamodb://$DDB_TABLE/test
EOF
}

# The recorded pid, when it is alive and still the DynamoDB Local we started (guards against a
# recycled pid).
ddb_recorded_pid() {
  [ -s "$DDB_PID" ] || return 1
  local pid
  pid="$(cat "$DDB_PID")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "DynamoDBLocal.jar" || return 1
  echo "$pid"
}
