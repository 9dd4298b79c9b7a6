#!/usr/bin/env bash
# The benchmark of `cloudlite serve` (issue 13, docs/benchmarks.md "SQL over HTTP"): requests/s
# and latency of single-row INSERT pipelines at 1, 16 and 64 clients with group commit on and
# off, point queries at 16 clients against a baseline measured in the same run (the same listener
# answering a fixed response of the same size), and the store requests per write request.
# Builds nothing: it runs what is in $CLOUDLITE_BUILD (default build/). Prints Markdown.
#
#   bench/serve_bench.sh                    # file:// (and s3:// when CLOUDLITE_TEST_S3_URI is set)
#   SECONDS_PER_RUN=10 WORKERS=32 bench/serve_bench.sh   # longer runs; serve --workers
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${CLOUDLITE_BUILD:-$root/build}
bin=$build/cloudlite
load=$build/bench/cloudlite_http_load
fixed=$build/bench/cloudlite_fixed_response_server
seconds=${SECONDS_PER_RUN:-5}
workers=${WORKERS:-8}  # cloudlite serve --workers
rounds=${ROUNDS:-3}    # alternating rounds of point queries and the fixed response
for b in "$bin" "$load" "$fixed"; do
  [[ -x $b ]] || { echo "missing $b: build cloudlite, cloudlite_http_load and" \
    "cloudlite_fixed_response_server first" >&2; exit 1; }
done

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# start PROGRAM ARGS...: starts a server that prints "listening on http://..."; sets $url, $pid.
start() {
  local log
  log=$(mktemp -p "$work" server-XXXX.log)
  "$@" 2>"$log" &
  pid=$!
  pids+=("$pid")
  url=""
  for _ in $(seq 1 300); do
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
insert=$(pipeline "INSERT INTO t (v) VALUES ('row {n} of the benchmark')")
point=$(pipeline "SELECT id, v FROM t WHERE id = 1 + {n} % 1000")

# metric URL NAME: the sum of a metric family's series on /metrics.
metric() {
  curl -sS "$1/metrics" | awk -v name="$2" '$1 == name || index($1, name "{") == 1 { s += $2 }
    END { printf "%.0f\n", s }'
}

results=$work/results.jsonl
# run LABEL URL CLIENTS BODY: one load run, one JSON line into $results with the label and
# the store requests and commits per request the server counted meanwhile.
run() {
  local label=$1 u=$2 clients=$3 body=$4 base=${5:-$2}
  local s0 c0 w0 out s1 c1 w1
  s0=$(metric "$base" cloudlite_store_requests_total)
  c0=$(metric "$base" cloudlite_sql_commits_total)
  w0=$(metric "$base" cloudlite_sql_write_requests_total)
  out=$("$load" --url="$u" --clients="$clients" --seconds="$seconds" --body="$body" || true)
  s1=$(metric "$base" cloudlite_store_requests_total)
  c1=$(metric "$base" cloudlite_sql_commits_total)
  w1=$(metric "$base" cloudlite_sql_write_requests_total)
  python3 -c 'import json,sys
r = json.loads(sys.argv[1]); r.update(label=sys.argv[2], clients=int(sys.argv[3]),
  store_requests=int(sys.argv[4]), commits=int(sys.argv[5]), writes=int(sys.argv[6]))
print(json.dumps(r))' "$out" "$label" "$clients" $((s1 - s0)) $((c1 - c0)) $((w1 - w0)) >>"$results"
}

bench_store() {
  local store=$1 kind=$2
  for gc in on off; do
    start "$bin" serve --store "$store/gc-$gc" --create --listen 127.0.0.1:0 --access-log off \
      --group-commit="$gc" --workers="$workers"
    local base=$url
    curl -sS "$base/bench/v2/pipeline" -d "$(pipeline \
      'CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)')" >/dev/null
    for clients in 1 16 64; do
      run "$kind insert gc=$gc" "$base/bench/v2/pipeline" "$clients" "$insert" "$base"
    done
    if [[ $gc == on ]]; then
      # Point queries over the rows just written, and the baseline answering one of them, in
      # alternating rounds so that a change in the machine's load hits both alike.
      curl -sS "$base/bench/v2/pipeline" -d "${point//\{n\}/7}" >"$work/point.json"
      grep -q '"type":"ok"' "$work/point.json" || { cat "$work/point.json" >&2; exit 1; }
      local server=$pid
      start "$fixed" --body-file="$work/point.json" --workers="$workers"
      local fixed_url=$url fixed_pid=$pid
      for _ in $(seq 1 "$rounds"); do
        run "$kind point" "$base/bench/v2/pipeline" 16 "$point" "$base"
        run "$kind fixed" "$fixed_url/" 16 "$point" "$base"
      done
      stop "$fixed_pid"
      pid=$server
    fi
    stop "$pid"
  done
}

echo "cloudlite serve benchmark: $(nproc) cores, $seconds s per run, --workers $workers," \
  "$(date -u +%FT%TZ)" >&2
bench_store "file://$work/store" "file"
if [[ -n ${CLOUDLITE_TEST_S3_URI:-} ]]; then
  bench_store "${CLOUDLITE_TEST_S3_URI%/}/serve-bench-$$" "s3"
fi

python3 - "$results" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
by = {(r["label"], r["clients"]): r for r in rows}
print("| run | clients | requests/s | p50 ms | p99 ms | failures | requests per commit | store requests per request |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
for r in rows:
    writes = r["writes"]
    per_commit = f'{writes / r["commits"]:.1f}' if r["commits"] and writes else "-"
    per_req = f'{r["store_requests"] / r["requests"]:.3f}' if r["requests"] else "-"
    print(f'| {r["label"]} | {r["clients"]} | {r["requests_per_s"]:.0f} | {r["p50_ms"]:.2f} | '
          f'{r["p99_ms"]:.2f} | {r["failures"]} | {per_commit} | {per_req} |')
print()
for kind in ("file", "s3"):
    if (f"{kind} point", 16) not in by:
        continue
    on, off = by.get((f"{kind} insert gc=on", 64)), by.get((f"{kind} insert gc=off", 64))
    def total(label):  # requests/s over every round of `label`
        runs = [r for r in rows if r["label"] == label]
        return {"requests_per_s": sum(r["requests"] for r in runs) / sum(r["seconds"] for r in runs)}
    point, fixed = total(f"{kind} point"), total(f"{kind} fixed")
    print(f"- {kind}: INSERT at 64 clients, group commit on / off: "
          f"{on['requests_per_s'] / off['requests_per_s']:.2f}x "
          f"({on['requests_per_s']:.0f} vs {off['requests_per_s']:.0f} requests/s; goal >= 2000 with it on)")
    print(f"- {kind}: point queries / fixed response of the same size, 16 clients: "
          f"{point['requests_per_s'] / fixed['requests_per_s']:.2f}x "
          f"({point['requests_per_s']:.0f} vs {fixed['requests_per_s']:.0f} requests/s over "
          f"{sum(r['label'] == kind + ' point' for r in rows)} alternating rounds; goal >= 0.7x)")
PY
