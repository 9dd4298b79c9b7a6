#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/, docs/fuzzing.md) into build-fuzz/ and runs each for
# SECONDS (default 600: the ten CPU-minutes of a longer run), FUZZ_JOBS targets at a time
# (default: the number of cores). Each run starts from a seed corpus that the real encoders
# write (cloudlite_fuzz_seeds) plus what earlier runs found (build-fuzz/corpus/<target>/), with
# -rss_limit_mb=2048 -malloc_limit_mb=512. It prints per target: runs, execs/s, coverage and the
# crash, if any; crashing inputs go to fuzz/crashes/<target>/. Exit 1 if any target crashed.
#   scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-600}
shift || true
build=${FUZZ_BUILD_DIR:-$root/build-fuzz}
jobs=${FUZZ_JOBS:-$(nproc)}

# clang 16: clang 14 (Debian's default clang) cannot compile libstdc++ 12's <ranges>.
cxx=${FUZZ_CXX:-clang++-16}
cc=${FUZZ_CC:-clang-16}
command -v "$cxx" >/dev/null || { echo "fuzz: $cxx not found (scripts/setup.sh installs it)" >&2; exit 1; }
start=$(date +%s)
CC=$cc CXX=$cxx cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCLOUDLITE_FUZZ=ON \
  -DCLOUDLITE_LINE_TABLES_ONLY=ON -DCLOUDLITE_WERROR=ON -DCLOUDLITE_TESTS=OFF -DCLOUDLITE_BENCH=OFF \
  >/dev/null
cmake --build "$build" -j"$(nproc)" --target cloudlite_fuzzers >/dev/null
echo "fuzz: built in $(($(date +%s) - start)) s" >&2

targets=("$@")
if ((${#targets[@]} == 0)); then
  for bin in "$build"/fuzz/fuzz_*; do targets+=("${bin##*/fuzz_}"); done
fi
seeds=$build/seeds
rm -rf "$seeds"
"$build/fuzz/cloudlite_fuzz_seeds" "$seeds"

# One target: fuzz for $seconds, then its summary (from libFuzzer's final stats) in
# logs/<target>.summary; logs/<target>.failed marks a crash.
run() {
  local t=$1 corpus=$build/corpus/$1 crashes=$root/fuzz/crashes/$1 log=$build/logs/$1.log
  local summary=$build/logs/$1.summary
  mkdir -p "$corpus" "$crashes" "$seeds/$t"  # a target with no written seeds starts empty
  local rc=0
  "$build/fuzz/fuzz_$t" "$corpus" "$seeds/$t" -max_total_time="$seconds" -rss_limit_mb=2048 \
    -malloc_limit_mb=512 -timeout=25 -print_final_stats=1 -artifact_prefix="$crashes/" \
    >"$log" 2>&1 || rc=$?
  local last runs rate cov
  last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
  runs=$(grep -oE '^stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' || true)
  rate=$(grep -oE '^stat::average_exec_per_sec: *[0-9]+' "$log" | grep -oE '[0-9]+$' || true)
  cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' <<<"$last" | tail -1 || true)
  if ((rc == 0)); then
    printf '%-14s ok     %10s runs %8s exec/s  %s  corpus %s\n' "$t" "${runs:-?}" "${rate:-?}" \
      "${cov:-?}" "$(find "$corpus" -type f | wc -l)" >"$summary"
  else
    {
      printf '%-14s CRASH  %10s runs %8s exec/s  %s\n' "$t" "${runs:-?}" "${rate:-?}" "${cov:-?}"
      grep -m1 -E 'FUZZ_CHECK failed|ERROR: AddressSanitizer|runtime error|ERROR: libFuzzer' \
        "$log" | sed 's/^/    /' || true
      grep -oE 'Test unit written to .*' "$log" | tail -1 | sed 's/^/    /' || true
      echo "    log: $log"
    } >"$summary"
    touch "$build/logs/$t.failed"
  fi
}

rm -rf "$build/logs"
mkdir -p "$build/logs"
for t in "${targets[@]}"; do
  while (($(jobs -rp | wc -l) >= jobs)); do wait -n || true; done
  run "$t" &
done
wait
failed=0
for t in "${targets[@]}"; do
  cat "$build/logs/$t.summary"
  [[ -e $build/logs/$t.failed ]] && failed=1
done
exit $failed
