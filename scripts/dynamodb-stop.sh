#!/usr/bin/env bash
# Stops the DynamoDB Local started by dynamodb-start.sh: kills exactly the pid it recorded (never
# by name), after checking that it is still that java process. The npm install in the state
# directory is kept, so the next start needs no download; pass --purge to remove the whole state
# directory too. Safe to run when nothing is running.
set -euo pipefail
cd "$(dirname "$0")"
source ./dynamodb-lib.sh

if pid=$(ddb_recorded_pid); then
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    ddb_log "pid $pid ignored SIGTERM for 10 s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  ddb_log "stopped DynamoDB Local (pid $pid)"
else
  ddb_log "nothing to stop (no live DynamoDB Local recorded in $DDB_PID)"
fi
rm -f "$DDB_PID"

if [ "${1:-}" = "--purge" ] && [ -d "$DDB_DIR" ]; then
  if [ ! -f "$DDB_MARKER" ]; then
    ddb_log "refusing to delete $DDB_DIR: it was not created by dynamodb-start.sh (no $DDB_MARKER)"
    exit 1
  fi
  rm -rf "$DDB_DIR"
  ddb_log "removed $DDB_DIR"
fi
