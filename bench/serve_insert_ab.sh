#!/usr/bin/env bash
# Single-row INSERTs against two builds of `cloudlite serve` (BEFORE, an older binary, and
# $CLOUDLITE_BUILD/cloudlite) and, at one client, the write floor (the fixed-response server making
# one conditional PUT of a commit's size per request, as serve_bench.sh measures it), alternating
# rounds in one run so that a change in the machine's load hits them alike (docs/benchmarks.md,
# "SQL over HTTP"). Prints one line per run, then each build's mean p50 and requests/s and, at
# one client, its mean ratio to the floor round by round. Builds nothing.
#
#   BEFORE=/tmp/cloudlite-old CLIENTS=1 ROUNDS=10 SECONDS_PER_RUN=3 bench/serve_insert_ab.sh
#
# STORE=s3://bucket/prefix puts the databases (and the floor's objects) there (default: file://
# in a temporary directory).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/server-lib.sh
. "$root/bench/server-lib.sh"
before=${BEFORE:?set BEFORE to the cloudlite binary to compare with}
after=$build/cloudlite
seconds=${SECONDS_PER_RUN:-3}
rounds=${ROUNDS:-10}
clients=${CLIENTS:-1}
workers=${WORKERS:-32}
store=${STORE:-file://$work}
insert=$(pipeline "INSERT INTO t (v) VALUES ('row {n} of the benchmark')")
serve() {
  start "$1" serve --store "$store/$2" --create --listen 127.0.0.1:0 --access-log off \
    --workers "$workers"
  curl -sS "$url/bench/v2/pipeline" \
    -d "$(pipeline 'CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)')" >/dev/null
}
serve "$before" before
before_url=$url
serve "$after" after
after_url=$url
targets="before after"
if [[ $clients == 1 ]]; then
  # The floor PUTs as many bytes as a commit of this INSERT writes on average (its record, and
  # checkpoints now and then), as serve_bench.sh measures it, over a first second of INSERTs.
  "$load" --url="$after_url/bench/v2/pipeline" --clients=1 --seconds=1 --body="$insert" >/dev/null
  curl -sS "$after_url/bench/v2/pipeline" -d "${insert//\{n\}/0}" >"$work/insert.json"
  put_bytes=$(curl -sS "$after_url/metrics" | awk '
    index($1, "cloudlite_store_bytes_total{") == 1 && index($1, "direction=\"out\"") { b += $2 }
    index($1, "cloudlite_store_requests_total{") == 1 && index($1, "kind=\"put\"") { p += $2 }
    END { printf "%d\n", b / (p > 0 ? p : 1) }')
  start "$fixed" --body-file="$work/insert.json" --workers="$workers" \
    --put-store="$store/floor" --put-bytes="$put_bytes"
  floor_url=$url
  targets="before after floor"
fi
for _ in $(seq 1 "$rounds"); do
  for which in $targets; do
    case $which in
      before) u=$before_url/bench/v2/pipeline ;;
      after) u=$after_url/bench/v2/pipeline ;;
      floor) u=$floor_url/ ;;
    esac
    echo "$which $("$load" --url="$u" --clients="$clients" --seconds="$seconds" --body="$insert")"
  done
done | tee "$work/runs.txt"
python3 - "$work/runs.txt" <<'EOF'
import json, statistics, sys
runs = {}
for line in open(sys.argv[1]):
    which, _, body = line.partition(" ")
    runs.setdefault(which, []).append(json.loads(body))
for which, rs in runs.items():
    print(f"{which}: p50 {statistics.mean(r['p50_ms'] for r in rs):.3f} ms, "
          f"{statistics.mean(r['requests_per_s'] for r in rs):.0f} requests/s (mean of {len(rs)})")
if "floor" in runs:
    for which in ("before", "after"):
        ratios = [r["p50_ms"] / f["p50_ms"] for r, f in zip(runs[which], runs["floor"])]
        print(f"{which} / floor, p50, round by round: {statistics.mean(ratios):.3f}x mean")
EOF
