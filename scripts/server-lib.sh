# Shared by the test-server start scripts (rgw-start.sh, dynamodb-start.sh): timing, failing
# with the tail of a log, and bounded waits. Before sourcing, define log (the script's logger);
# set FAILURE_HINT for a last line to print on failure.

START=$(date +%s.%N)
elapsed() { awk -v s="$START" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }'; }

# Fails with message $1, showing the last lines of log file $2 when given.
die() {
  log "FAILED: $1"
  if [ -n "${2:-}" ] && [ -f "$2" ]; then
    log "last lines of $2:"
    tail -n 25 "$2" >&2
  fi
  if [ -n "${FAILURE_HINT:-}" ]; then log "$FAILURE_HINT"; fi
  exit 1
}

# Waits up to $1 seconds for command "${@:2}" to succeed.
wait_for() {
  local limit="$1"
  shift
  local deadline=$(($(date +%s) + limit))
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 0.2
  done
}
