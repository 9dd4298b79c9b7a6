#!/usr/bin/env bash
# Store requests per YCSB phase against one `cloudlite dynamodb serve` on a fresh file:// store
# (docs/benchmarks.md, "Records shared by a process's connections"): create and load, then the
# run phase three times (the third with ConsistentRead), printing each phase's JSON line and the
# server's cloudlite_store_requests_total and cloudlite_known_records_total deltas.
#   bench/ycsb/store_requests.sh LABEL CLOUDLITE_BINARY PORT [WORKLOAD]
# CLOUDLITE_BUILD (default build/) holds bench/ycsb/cloudlite_ycsb.
set -euo pipefail
label=$1 bin=$2 port=$3 workload=${4:-b}
root=$(cd "$(dirname "$0")/../.." && pwd)
ycsb=${CLOUDLITE_BUILD:-$root/build}/bench/ycsb/cloudlite_ycsb
dir=$(mktemp -d /tmp/store-requests-XXXX)
"$bin" dynamodb serve --store "file://$dir/store" --listen "127.0.0.1:$port" >"$dir/log" 2>&1 </dev/null &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
for _ in $(seq 1 100); do curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$port/" && break; sleep 0.2; done
snap() { curl -s "http://127.0.0.1:$port/metrics" | awk '$1 ~ /^cloudlite_(store_requests|known_records)_total/ {print $1, $2}'; }
run() {  # PHASES [cloudlite_ycsb arguments]
  snap >"$dir/before"
  "$ycsb" --endpoint="http://127.0.0.1:$port" --workload="$workload" --recordcount=5000 \
    --operationcount=10000 --threads=16 --max-seconds=30 --phases="$1" --label="$label" --json \
    "${@:2}" 2>>"$dir/ycsb.log" | tail -1
  snap >"$dir/after"
  join "$dir/before" "$dir/after" | awk '{printf "  %s %d\n", $1, $3 - $2}'
}
run create,load
run run
run run
run run --consistent-read
