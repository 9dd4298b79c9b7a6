# Shared by the benchmark scripts that start servers (serve_bench.sh, serve_point_ab.sh,
# serve_callgrind.sh): a scratch directory $work, and servers that print "listening on
# http://..." started in the background and killed on exit. Source it after `set -euo pipefail`.

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# start PROGRAM ARGS...: starts a server and waits until it listens (at most START_SECONDS,
# default 30: valgrind needs more); sets $url and $pid. Its stderr goes to $log.
start() {
  log=$(mktemp -p "$work" server-XXXX.log)
  "$@" 2>"$log" &
  pid=$!
  pids+=("$pid")
  url=""
  for _ in $(seq 1 $((${START_SECONDS:-30} * 10))); do
    url=$(sed -n 's/.*listening on \(http:\/\/[^ ]*\).*/\1/p' "$log")
    [[ -n $url ]] && return 0
    kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; exit 1; }
    sleep 0.1
  done
  cat "$log" >&2
  exit 1
}
stop() { kill "$1"; wait "$1" 2>/dev/null || true; }
