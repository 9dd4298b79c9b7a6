# Shared by the benchmark scripts that start servers (serve_bench.sh, serve_point_ab.sh,
# serve_insert_ab.sh, serve_callgrind.sh): the binaries ($build, $load, $fixed), a scratch
# directory $work, and servers that print "listening on http://..." started in the background
# and killed on exit; `pipeline` and the point query. Source it after `set -euo pipefail`, with
# $root the tree.

# The binaries, from $CLOUDLITE_BUILD (default build/ of the tree at $root).
build=${CLOUDLITE_BUILD:-$root/build}
load=$build/bench/cloudlite_http_load
fixed=$build/bench/cloudlite_fixed_response_server

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

pipeline() {  # pipeline SQL: a one-shot Hrana pipeline (what @libsql/client's execute sends)
  printf '{"requests":[{"type":"execute","stmt":{"sql":"%s"}},{"type":"close"}]}' "$1"
}
# The point query of serve_bench.sh and serve_point_ab.sh, over their table of 1000 rows, with
# its number written into the SQL, and as an argument, as clients send it when the application
# passes one (execute({sql, args})).
# shellcheck disable=SC2034  # used by the scripts that source this
point=$(pipeline "SELECT id, v FROM t WHERE id = 1 + {n} % 1000")
# shellcheck disable=SC2034
point_args='{"requests":[{"type":"execute","stmt":{"sql":"SELECT id, v FROM t WHERE id = 1 + ? % 1000","args":[{"type":"integer","value":"{n}"}]}},{"type":"close"}]}'
