#!/usr/bin/env bash
# The benchmark of `cloudlite serve` (issue 13, docs/benchmarks.md "SQL over HTTP"): requests/s
# and latency of single-row INSERT pipelines at 1, 16 and 64 clients with group commit on and
# off, point queries at 16 clients against a baseline measured in the same run (the same listener
# answering a fixed response of the same size), the store requests per write request, and the
# one-client write latency against its floor measured in the same run (the same listener making
# one conditional PUT of the commit's size to the same store, then answering a fixed response).
# With PEERS=1 it also runs, from bench/node/package.json (installed by scripts/npm-deps.sh into
# $CLOUDLITE_BENCH_NPM_DIR): the same INSERTs through @libsql/client, and against the peer
# `tursodb --sync-server` (npm `turso`, file only: it has no object store).
# Builds nothing: it runs what is in $CLOUDLITE_BUILD (default build/). Prints Markdown.
#
#   bench/serve_bench.sh                    # file:// (and s3:// when CLOUDLITE_TEST_S3_URI is set)
#   SECONDS_PER_RUN=10 WORKERS=8 PEERS=1 bench/serve_bench.sh    # longer runs; serve --workers
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/server-lib.sh
. "$root/bench/server-lib.sh"
bin=$build/cloudlite
seconds=${SECONDS_PER_RUN:-5}
workers=${WORKERS:-32}  # cloudlite serve --workers (its default)
rounds=${ROUNDS:-3}    # alternating rounds of point queries and the fixed response
peers=${PEERS:-0}      # 1: @libsql/client and tursodb --sync-server runs too
for b in "$bin" "$load" "$fixed"; do
  [[ -x $b ]] || { echo "missing $b: build cloudlite, cloudlite_http_load and" \
    "cloudlite_fixed_response_server first" >&2; exit 1; }
done

npm_dir=""
if [[ $peers == 1 ]]; then
  command -v node >/dev/null || { echo "PEERS=1 needs node" >&2; exit 1; }
  npm_dir=$(CLOUDLITE_NPM_MANIFEST=$root/bench/node/package.json \
    CLOUDLITE_NPM_DIR=${CLOUDLITE_BENCH_NPM_DIR:-/tmp/cloudlite-bench-npm} "$root/scripts/npm-deps.sh")
  cp "$root/bench/node/libsql_load.mjs" "$npm_dir/"
fi

insert=$(pipeline "INSERT INTO t (v) VALUES ('row {n} of the benchmark')")
# $point and $point_args (server-lib.sh): both forms run one prepared statement per connection,
# the first since the server lifts the numbers out of its WHERE clause (docs/server.md).

# metric URL NAME [LABEL]: the sum of a metric family's series on /metrics (those whose labels
# contain LABEL, if given); 0 without a URL (a peer that has no /metrics).
metric() {
  [[ -n $1 ]] || { echo 0; return; }
  curl -sS "$1/metrics" | awk -v name="$2" -v label="${3:-}" \
    '($1 == name || index($1, name "{") == 1) && (label == "" || index($1, label)) { s += $2 }
    END { printf "%.0f\n", s }'
}

results=$work/results.jsonl
# run_cmd LABEL CLIENTS BASE COMMAND...: one load run of COMMAND (which prints http_load's JSON
# line), one JSON line into $results with the label and what the server at BASE counted
# meanwhile: store requests, PUTs and bytes written, commits, write requests.
run_cmd() {
  local label=$1 clients=$2 base=$3
  shift 3
  local names=(cloudlite_store_requests_total cloudlite_store_requests_total
    cloudlite_store_bytes_total cloudlite_sql_commits_total cloudlite_sql_write_requests_total)
  local labels=("" 'kind="put"' 'direction="out"' "" "")
  local before=() after=() i out
  for i in "${!names[@]}"; do before+=("$(metric "$base" "${names[$i]}" "${labels[$i]}")"); done
  out=$("$@" || true)
  for i in "${!names[@]}"; do after+=("$(metric "$base" "${names[$i]}" "${labels[$i]}")"); done
  python3 -c 'import json,sys
r = json.loads(sys.argv[1]); r.update(label=sys.argv[2], clients=int(sys.argv[3]),
  store_requests=int(sys.argv[4]), puts=int(sys.argv[5]), bytes_out=int(sys.argv[6]),
  commits=int(sys.argv[7]), writes=int(sys.argv[8]))
print(json.dumps(r))' "$out" "$label" "$clients" $((after[0] - before[0])) \
    $((after[1] - before[1])) $((after[2] - before[2])) $((after[3] - before[3])) \
    $((after[4] - before[4])) >>"$results"
}

# run LABEL URL CLIENTS BODY [BASE]: one cloudlite_http_load run.
run() {
  local label=$1 u=$2 clients=$3 body=$4 base=${5-$2}
  run_cmd "$label" "$clients" "$base" "$load" --url="$u" --clients="$clients" \
    --seconds="$seconds" --body="$body"
}

# latency_rounds KIND STORE BASE GC: the one-client INSERT against its floor, in alternating rounds:
# the fixed-response listener making one conditional PUT (PutIfAbsent) to STORE per request, of
# the bytes cloudlite wrote per PUT in the one-client run just made, answering what an INSERT
# answers.
latency_rounds() {
  local kind=$1 store=$2 base=$3 gc=$4
  local put_bytes
  put_bytes=$(python3 -c 'import json,sys
r = [r for r in map(json.loads, open(sys.argv[1]))
     if r["label"] == sys.argv[2] and r["clients"] == 1][-1]
print(r["bytes_out"] // max(r["puts"], 1))' "$results" "$kind insert gc=$gc")
  curl -sS "$base/bench/v2/pipeline" -d "${insert//\{n\}/0}" >"$work/insert.json"
  local server=$pid
  start "$fixed" --body-file="$work/insert.json" --workers="$workers" \
    --put-store="$store/put-baseline" --put-bytes="$put_bytes"
  local floor_url=$url floor_pid=$pid
  for _ in $(seq 1 "$rounds"); do
    run "$kind insert 1-client latency gc=$gc" "$base/bench/v2/pipeline" 1 "$insert" "$base"
    run "$kind floor for gc=$gc: PUT $put_bytes B + round trip" "$floor_url/" 1 "$insert" ""
  done
  stop "$floor_pid"
  pid=$server
}

# libsql_runs KIND BASE: the same INSERT (one text argument) through @libsql/client's execute.
libsql_runs() {
  local kind=$1 base=$2
  for clients in 1 16 64; do
    run_cmd "$kind insert @libsql/client gc=on" "$clients" "$base" \
      node "$npm_dir/libsql_load.mjs" "$base/bench/" "$clients" "$seconds"
  done
}

# bench_turso: the peer, tursodb --sync-server (stateless /v2/pipeline: execute and batch only, so
# the same INSERT without the "close" request), on a local file.
bench_turso() {
  start_turso
  local base=$url
  curl -sS "$base/v2/pipeline" -d '{"requests":[{"type":"execute","stmt":{"sql":"CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"}}]}' >/dev/null
  local body='{"requests":[{"type":"execute","stmt":{"sql":"INSERT INTO t (v) VALUES ('"'"'row {n} of the benchmark'"'"')"}}]}'
  for clients in 1 16 64; do
    run "peer tursodb --sync-server insert" "$base/v2/pipeline" "$clients" "$body" ""
  done
  stop "$pid"
}

# start_turso: tursodb --sync-server on a free port (it prints no address: we pick one).
start_turso() {
  local port
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  # The binary itself, not the npm wrapper (a node process that would outlive a kill of it).
  local tursodb
  tursodb=$(ls "$npm_dir"/node_modules/@tursodatabase/cli-*/tursodb | head -n 1)
  "$tursodb" "$work/turso.db" --sync-server "127.0.0.1:$port" >"$work/turso.log" 2>&1 &
  pid=$!
  pids+=("$pid")
  url=http://127.0.0.1:$port
  for _ in $(seq 1 100); do
    curl -s -o /dev/null "$url/v2/pipeline" -d '{"requests":[]}' && return 0
    kill -0 "$pid" 2>/dev/null || { cat "$work/turso.log" >&2; exit 1; }
    sleep 0.1
  done
  cat "$work/turso.log" >&2
  exit 1
}

bench_store() {
  local store=$1 kind=$2
  for gc in on off; do
    start "$bin" serve --store "$store/gc-$gc" --create --listen 127.0.0.1:0 --access-log off \
      --group-commit="$gc" --workers="$workers"
    local base=$url
    curl -sS "$base/bench/v2/pipeline" -d "$(pipeline \
      'CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)')" >/dev/null
    # The one-client latency right after the one-client run, before 16 and 64 clients: in the
    # wake of a burst of 60,000 commits the server is still checkpointing and collecting them
    # (with group commit on; a tenth as many without), which is not what one client meets.
    run "$kind insert gc=$gc" "$base/bench/v2/pipeline" 1 "$insert" "$base"
    latency_rounds "$kind" "$store" "$base" "$gc"
    for clients in 16 64; do
      run "$kind insert gc=$gc" "$base/bench/v2/pipeline" "$clients" "$insert" "$base"
    done
    if [[ $gc == on ]]; then
      if [[ $peers == 1 ]]; then libsql_runs "$kind" "$base"; fi
      # Point queries over the rows just written, and the baseline answering one of them, in
      # alternating rounds so that a change in the machine's load hits both alike.
      curl -sS "$base/bench/v2/pipeline" -d "${point//\{n\}/7}" >"$work/point.json"
      grep -q '"type":"ok"' "$work/point.json" || { cat "$work/point.json" >&2; exit 1; }
      # Both forms answer alike, so the one fixed response is the baseline of both.
      curl -sS "$base/bench/v2/pipeline" -d "${point_args//\{n\}/7}" | cmp -s - "$work/point.json" ||
        { echo "the point query's two forms answer differently" >&2; exit 1; }
      local server=$pid
      # serve answers one-shot reads on the I/O thread (on s3:// those within the staleness
      # bound): so does the baseline, the faster of its two ways, for every kind of read.
      start "$fixed" --body-file="$work/point.json" --workers="$workers" --inline
      local fixed_url=$url fixed_pid=$pid
      # A second server on the same store whose reads may be up to 1 s old (--max-staleness-ms):
      # they ask the store nothing within the bound.
      start "$bin" serve --store "$store/gc-$gc" --listen 127.0.0.1:0 --access-log off \
        --workers="$workers" --max-staleness-ms 1000
      local stale_url=$url stale_pid=$pid
      for _ in $(seq 1 "$rounds"); do
        run "$kind point" "$base/bench/v2/pipeline" 16 "$point" "$base"
        run "$kind point stale<=1s" "$stale_url/bench/v2/pipeline" 16 "$point" "$stale_url"
        run "$kind point args" "$base/bench/v2/pipeline" 16 "$point_args" "$base"
        run "$kind point args stale<=1s" "$stale_url/bench/v2/pipeline" 16 "$point_args" \
          "$stale_url"
        run "$kind fixed" "$fixed_url/" 16 "$point" "$base"
      done
      stop "$stale_pid"
      stop "$fixed_pid"
      pid=$server
    fi
    stop "$pid"
  done
}

echo "cloudlite serve benchmark: $(nproc) cores, $seconds s per run, --workers $workers," \
  "$(date -u +%FT%TZ)" >&2
bench_store "file://$work/store" "file"
if [[ $peers == 1 ]]; then bench_turso; fi
if [[ -n ${CLOUDLITE_TEST_S3_URI:-} ]]; then
  bench_store "${CLOUDLITE_TEST_S3_URI%/}/serve-bench-$$" "s3"
fi

python3 - "$results" "$rounds" <<'PY'
import json, sys
rounds = int(sys.argv[2])
rows = [json.loads(l) for l in open(sys.argv[1])]
by = {(r["label"], r["clients"]): r for r in rows}
print("| run | clients | requests/s | p50 ms | p99 ms | failures | requests per commit | store requests per request | PUTs per request |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
for r in rows:
    writes = r["writes"]
    per_commit = f'{writes / r["commits"]:.1f}' if r["commits"] and writes else "-"
    per_req = f'{r["store_requests"] / r["requests"]:.3f}' if r["requests"] and writes else "-"
    puts = f'{r["puts"] / r["requests"]:.3f}' if r["requests"] and writes else "-"
    print(f'| {r["label"]} | {r["clients"]} | {r["requests_per_s"]:.0f} | {r["p50_ms"]:.2f} | '
          f'{r["p99_ms"]:.2f} | {r["failures"]} | {per_commit} | {per_req} | {puts} |')
print()
def mean(label, key):
    runs = [r[key] for r in rows if r["label"] == label]
    return sum(runs) / len(runs) if runs else None
for kind in ("file", "s3"):
  for gc in ("on", "off"):
    subject = mean(f"{kind} insert 1-client latency gc={gc}", "p50_ms")
    floors = sorted({r["label"] for r in rows if r["label"].startswith(f"{kind} floor for gc={gc}:")})
    if subject is None or not floors:
        continue
    floor = mean(floors[0], "p50_ms")
    print(f"- {kind}: 1-client INSERT with group commit {gc}, p50 / ({floors[0].split(': ')[1]}) p50: "
          f"{subject / floor:.2f}x ({subject:.2f} vs {floor:.2f} ms, mean of {rounds} alternating "
          f"rounds' p50; goal <= 1.3x)")
peer = by.get(("peer tursodb --sync-server insert", 64))
if peer:
    print(f"- peer tursodb --sync-server, INSERT at 1/16/64 clients: " + ", ".join(
        f'{by[("peer tursodb --sync-server insert", c)]["requests_per_s"]:.0f}' for c in (1, 16, 64))
        + " requests/s")
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
    for label, what in (("point stale<=1s", "point queries with --max-staleness-ms 1000"),
                        ("point args", "point queries with the number as an argument"),
                        ("point args stale<=1s", "the same with --max-staleness-ms 1000")):
        r = total(f"{kind} {label}")
        print(f"- {kind}: {what} / fixed response: "
              f"{r['requests_per_s'] / fixed['requests_per_s']:.2f}x "
              f"({r['requests_per_s']:.0f} vs {fixed['requests_per_s']:.0f} requests/s)")
PY
