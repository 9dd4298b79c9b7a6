#!/usr/bin/env bash
# Instructions of `cloudlite dynamodb serve` under callgrind for a fixed YCSB load: a store on
# file://, `usertable` created, RECORDS records loaded, OPERATIONS operations of WORKLOAD
# (default c: reads only; a: half updates) on 4 threads.
# Instruction counts do not move with the machine's load: use it for A/B checks of the server's
# CPU per request (docs/benchmarks.md, "Instructions per request of dynamodb serve").
# Usage: bench/ycsb/serve_callgrind.sh [CLOUDLITE_BIN] [PORT]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${1:-$root/build/cloudlite}
port=${2:-23400}
ycsb=${YCSB_BIN:-$root/build/bench/ycsb/cloudlite_ycsb}
work=$(mktemp -d /tmp/ycsb-callgrind.XXXXXX)
trap 'rm -rf "$work"' EXIT
valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" "$bin" dynamodb serve \
  --store "file://$work/store" --listen "127.0.0.1:$port" --access-log off >"$work/server.log" 2>&1 &
pid=$!
for _ in $(seq 1 600); do
  grep -q "listening on" "$work/server.log" && break
  sleep 0.2
done
AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=y AWS_REGION=us-east-1 \
  "$ycsb" --endpoint="http://127.0.0.1:$port" --workload="${WORKLOAD:-c}" --recordcount="${RECORDS:-300}" \
  --operationcount="${OPERATIONS:-2000}" --threads=4 --phases=create,load,run --max-seconds=600 |
  grep -E "ops/s|READ|INSERT|UPDATE"
kill -TERM "$pid"
wait "$pid" || true
callgrind_annotate "$work/cg.out" 2>/dev/null | grep -m1 'PROGRAM TOTALS'
