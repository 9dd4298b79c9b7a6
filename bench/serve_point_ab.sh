#!/usr/bin/env bash
# Point queries at 16 clients against two builds of `cloudlite serve` (BEFORE, an older binary,
# and $CLOUDLITE_BUILD/cloudlite) and the fixed-response baseline, answered by a worker (fixed) and
# on the I/O thread (fixed-inline, as serve answers reads on file://), alternating rounds in one run
# so that a change in the machine's load hits all three alike (docs/benchmarks.md, "SQL over
# HTTP", point queries). Prints one JSON line per run, then each server's probe and store
# counters from /metrics. Builds nothing.
#
#   BEFORE=/tmp/cloudlite-old ROUNDS=3 SECONDS_PER_RUN=4 WORKERS=32 bench/serve_point_ab.sh
#
# STORE=s3://bucket/prefix puts both servers' databases there (default: file:// in a temporary
# directory); SERVE_FLAGS adds flags to both (e.g. "--max-staleness-ms 1000"); ARGS=1 sends the
# number as an argument instead of writing it into the SQL.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/server-lib.sh
. "$root/bench/server-lib.sh"
before=${BEFORE:?set BEFORE to the cloudlite binary to compare with}
after=$build/cloudlite
seconds=${SECONDS_PER_RUN:-4}
rounds=${ROUNDS:-3}
workers=${WORKERS:-32}
if [[ ${ARGS:-0} == 1 ]]; then point=$point_args; fi  # both from server-lib.sh
fill() {  # the table serve_bench.sh queries: 1000 rows
  curl -sS "$1/bench/v2/pipeline" \
    -d "$(pipeline 'CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)')" >/dev/null
  curl -sS "$1/bench/v2/pipeline" -d "$(pipeline "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL \
SELECT n + 1 FROM c WHERE n < 1000) INSERT INTO t (v) SELECT 'row ' || n || ' of the benchmark' \
FROM c")" >/dev/null
}
# shellcheck disable=SC2086  # SERVE_FLAGS is a list of flags
serve() { start "$1" serve --store "${STORE:-file://$work}/$2" --create --listen 127.0.0.1:0 \
  --access-log off --workers "$workers" ${SERVE_FLAGS:-}; }
serve "$before" before
before_url=$url
fill "$before_url"
serve "$after" after
after_url=$url
fill "$after_url"
curl -sS "$after_url/bench/v2/pipeline" -d "${point//\{n\}/7}" >"$work/point.json"
start "$fixed" --body-file="$work/point.json" --workers="$workers"
fixed_url=$url
start "$fixed" --body-file="$work/point.json" --workers="$workers" --inline
fixed_inline_url=$url
for _ in $(seq 1 "$rounds"); do
  for which in before after fixed fixed-inline; do
    case $which in
      before) u=$before_url/bench/v2/pipeline ;;
      after) u=$after_url/bench/v2/pipeline ;;
      fixed) u=$fixed_url/ ;;
      fixed-inline) u=$fixed_inline_url/ ;;
    esac
    echo "$which $("$load" --url="$u" --clients=16 --seconds="$seconds" --body="$point")"
  done
done
for which in before after; do
  [[ $which == before ]] && u=$before_url || u=$after_url
  echo "$which metrics:" $(curl -sS "$u/metrics" |
    grep -E '^cloudlite_(freshness_probes|store_requests)_total' | tr '\n' ' ')
done
