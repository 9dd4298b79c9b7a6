#!/usr/bin/env bash
# Instructions per point query of `cloudlite serve` and of the fixed-response baseline, under
# callgrind (docs/benchmarks.md, "SQL over HTTP"). Instruction counts do not move with the
# machine's load, unlike requests/s, so this is the measure to compare builds on a busy machine.
# Each run: the server under callgrind (--workers 4), the 1000-row table of serve_point_ab.sh,
# then SECONDS (default 20) of point queries at 4 clients; prints the load generator's JSON line
# and "instructions per request", the process's total while the load ran over the requests, and
# for cloudlite serve the SQL handler's share of it.
#
#   bench/serve_callgrind.sh args    # SELECT ... WHERE id = ? with the id as an argument
#   bench/serve_callgrind.sh text    # the id written into the SQL text (a new text per request)
#   bench/serve_callgrind.sh fixed   # the same listener answering a fixed response of that size
#   bench/serve_callgrind.sh insert  # single-row INSERTs at 1 client (the write latency goal)
#   bench/serve_callgrind.sh floor   # its floor: the listener making one conditional PUT of the
#                                    # commit's size per request, then a fixed response
# The callgrind file is left in $OUT (default ./callgrind.<variant>.out) for callgrind_annotate.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/server-lib.sh
. "$root/bench/server-lib.sh"
variant=${1:?usage: serve_callgrind.sh args|text|fixed|insert|floor}
seconds=${SECONDS_PER_RUN:-20}
out=${OUT:-$PWD/callgrind.$variant.out}
START_SECONDS=${START_SECONDS:-120}  # valgrind starts slowly

# Its own pipeline of a whole stmt object (server-lib.sh's takes only the SQL).
stmt_pipeline() { printf '{"requests":[{"type":"execute","stmt":%s},{"type":"close"}]}' "$1"; }
text=$(stmt_pipeline '{"sql":"SELECT id, v FROM t WHERE id = 1 + {n} % 1000"}')
args=$(stmt_pipeline '{"sql":"SELECT id, v FROM t WHERE id = ?","args":[{"type":"integer","value":"{n}"}]}')
create=$(stmt_pipeline '{"sql":"CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"}')
insert=$(stmt_pipeline '{"sql":"INSERT INTO t (v) VALUES ('"'row {n} of the benchmark'"')"}')
fill=$(stmt_pipeline '{"sql":"WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 1000) INSERT INTO t (v) SELECT '"'row '"' || n || '"' of the benchmark'"' FROM c"}')

serve() {  # serve [WRAPPER...]: a fresh database with the table, at $url/bench/v2/pipeline
  start "$@" "$build/cloudlite" serve --store "file://$work/store" --create \
    --listen 127.0.0.1:0 --access-log off --workers 4
  curl -sS "$url/bench/v2/pipeline" -d "$create" >/dev/null
  curl -sS "$url/bench/v2/pipeline" -d "$fill" >/dev/null
}
# Counting starts with the load (callgrind_control below): start-up and the table's setup are left
# out, so the count per request does not depend on how many requests a busy machine let through.
callgrind=(valgrind --tool=callgrind --instr-atstart=no "--callgrind-out-file=$out")
clients=4
case $variant in
  args | text)
    serve "${callgrind[@]}"
    target=$url/bench/v2/pipeline
    [[ $variant == args ]] && body=$args || body=$text
    ;;
  fixed)
    serve  # only to get the response the baseline answers with
    curl -sS "$url/bench/v2/pipeline" -d "${text//\{n\}/7}" >"$work/point.json"
    stop "$pid"
    start "${callgrind[@]}" "$build/bench/cloudlite_fixed_response_server" \
      --body-file="$work/point.json" --workers=4
    target=$url/
    body=$text
    ;;
  insert)
    serve "${callgrind[@]}"
    target=$url/bench/v2/pipeline
    body=$insert
    clients=1
    ;;
  floor)  # the PUT's size: the last commit record of an insert
    serve
    curl -sS "$url/bench/v2/pipeline" -d "${insert//\{n\}/7}" >"$work/insert.json"
    stop "$pid"
    put_bytes=$(find "$work/store" -path '*log*' -type f -printf '%T@ %s\n' | sort -n | tail -1 |
      cut -d' ' -f2)
    start "${callgrind[@]}" "$build/bench/cloudlite_fixed_response_server" \
      --body-file="$work/insert.json" --workers=4 --put-store="file://$work/put" \
      --put-bytes="$put_bytes"
    target=$url/
    body=$insert
    clients=1
    ;;
  *) echo "unknown variant $variant: args, text, fixed, insert or floor" >&2; exit 2 ;;
esac
callgrind_control --instr=on "$pid" >/dev/null 2>&1
result=$("$build/bench/cloudlite_http_load" --url="$target" --clients="$clients" --seconds="$seconds" \
  --body="$body")
echo "$result"
kill -INT "$pid"  # callgrind writes its file on exit
wait "$pid" 2>/dev/null || true
requests=$(sed -n 's/.*"requests":\([0-9]*\).*/\1/p' <<<"$result")
total=$(callgrind_annotate "$out" 2>/dev/null | sed -n 's/^ *\([0-9,]*\) .*PROGRAM TOTALS.*/\1/p' | tr -d ,)
echo "instructions per request: $((total / requests)) ($total over $requests requests)"
# The SQL handler's share (inclusive): the rest is the listener's.
handler=$(callgrind_annotate --inclusive=yes "$out" 2>/dev/null |
  sed -n 's/^ *\([0-9,]*\) .*SqlService::Handle(.*/\1/p' | awk 'NR == 1' | tr -d ,)
[[ -z $handler ]] || echo "SqlService::Handle instructions per request: $((handler / requests))"
