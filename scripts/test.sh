#!/usr/bin/env bash
# Sets up, builds and runs every test: unit, conformance and integration tests (ctest), then
# the unit and conformance tests again under AddressSanitizer + UndefinedBehaviorSanitizer, and
# the multi-threaded ones under ThreadSanitizer, then each fuzz target for 30 s.
# SKIP_SANITIZERS=1 skips the sanitizer builds, SKIP_FUZZ=1 the fuzz targets.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# Each stage says when it starts, so that a slow CI run shows where its time went.
stage() { echo "== $1 ($((SECONDS / 60)) min $((SECONDS % 60)) s in)" >&2; }
"$root/scripts/setup.sh"
"$root/scripts/check-format.sh"
"$root/scripts/check-commit-subjects.sh"

# Every build here keeps line tables only (-g1): backtraces and sanitizer reports still name
# file:line, and the builds are minutes shorter (CMakeLists.txt, CLOUDLITE_LINE_TABLES_ONLY).
stage "build"
BUILD_DIR=$root/build "$root/scripts/build.sh" -DCLOUDLITE_LINE_TABLES_ONLY=ON
stage "layering and clang-tidy"
"$root/scripts/check-layers.sh" "$root/build"
# Every source in src/: about 7 minutes on 2 cores (session 13's run).
BUILD_DIR=$root/build "$root/scripts/tidy.sh"
# The real servers the s3:// and dynamodb:// backends are tested against (Ceph RGW, DynamoDB
# Local), on 127.0.0.1, with their own state directories and ports, stopped on exit. Their
# environment (CLOUDLITE_TEST_S3_URI, CLOUDLITE_TEST_DYNAMODB_URI, AWS_*) turns on the
# conformance, end-to-end and torture tests for those backends. SKIP_SERVERS=1 skips them.
if [[ "${SKIP_SERVERS:-0}" != 1 ]]; then
  export CLOUDLITE_RGW_DIR=${CLOUDLITE_RGW_DIR:-/tmp/cloudlite-test-rgw}
  export CLOUDLITE_RGW_PORT=${CLOUDLITE_RGW_PORT:-17480}
  export CLOUDLITE_RGW_MON_PORT=${CLOUDLITE_RGW_MON_PORT:-13310}
  export CLOUDLITE_DYNAMODB_DIR=${CLOUDLITE_DYNAMODB_DIR:-/tmp/cloudlite-test-dynamodb}
  export CLOUDLITE_DYNAMODB_PORT=${CLOUDLITE_DYNAMODB_PORT:-18765}
  stop_servers() {
    "$root/scripts/rgw-stop.sh" >/dev/null 2>&1 || true
    "$root/scripts/dynamodb-stop.sh" >/dev/null 2>&1 || true
  }
  trap stop_servers EXIT
  stage "starting Ceph RGW and DynamoDB Local"
  rgw_env=$("$root/scripts/rgw-start.sh") || { echo "could not start Ceph RGW" >&2; exit 1; }
  ddb_env=$("$root/scripts/dynamodb-start.sh") || { echo "could not start DynamoDB Local" >&2; exit 1; }
  # Both print AWS_ACCESS_KEY_ID/SECRET: RGW's must win, DynamoDB Local accepts any key.
  eval "$ddb_env"
  eval "$rgw_env"
fi

stage "tests"
ctest --test-dir "$root/build" --output-on-failure -j"$(nproc)" --timeout 900

if [[ "${SKIP_SANITIZERS:-0}" != 1 ]]; then
  stage "tests under ASan+UBSan"
  BUILD_DIR=$root/build-asan BUILD_TYPE=Debug "$root/scripts/build.sh" \
    -DCLOUDLITE_SANITIZE=address,undefined -DCLOUDLITE_BENCH=OFF -DCLOUDLITE_LINE_TABLES_ONLY=ON
  # Not the integration tests, and not the tests that run no code of this build: the
  # provided.al2023 zip is a g++-11 build of its own, and deploy/'s templates are text. The
  # torture tests run here on mem:// and file:// only: on s3:// they drive the same engine for
  # two more minutes, and the S3 client's code runs here in the conformance suite, the live S3
  # tests and the servers' tests on Ceph RGW.
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir "$root/build-asan" --output-on-failure -j"$(nproc)" --timeout 900 \
      -E '^(integration\.|lambda\.al2023_zip$|deploy\.|torture\.[^ ]*/s3)'

  stage "multi-threaded tests under TSan"
  BUILD_DIR=$root/build-tsan BUILD_TYPE=Debug "$root/scripts/build.sh" \
    -DCLOUDLITE_SANITIZE=thread -DCLOUDLITE_BENCH=OFF -DCLOUDLITE_LINE_TABLES_ONLY=ON \
    --target cloudlite_tests cloudlite_server_tests
  TSAN_OPTIONS=halt_on_error=1 "$root/build-tsan/tests/cloudlite_tests" \
    --gtest_filter='*Thread*:*Concurren*:*Race*:-*AcrossProcesses*:*Process*' --gtest_brief=1
  # The SQL service (streams, the pool and group commit) and the DynamoDB API's table service
  # and partitions, driven from many threads (their "two processes" are two services in this
  # process, so they run here too; not those that fork a real one: TSan refuses threads in a
  # child of a multi-threaded process).
  TSAN_OPTIONS=halt_on_error=1 "$root/build-tsan/tests/cloudlite_tests" \
    --gtest_filter='Hrana*:GroupCommit*:SharedProbe*:Partitions*:TableService*:-*AcrossProcesses*' \
    --gtest_brief=1
  # The HTTP listener: I/O threads, the worker pool and shutdown, all of it multi-threaded.
  TSAN_OPTIONS=halt_on_error=1 "$root/build-tsan/tests/cloudlite_server_tests" --gtest_brief=1
fi
# Every fuzz target (fuzz/, docs/fuzzing.md) for FUZZ_SECONDS each (default 30), two at a time.
# SKIP_FUZZ=1 skips them.
if [[ "${SKIP_FUZZ:-0}" != 1 ]]; then
  stage "fuzz targets, ${FUZZ_SECONDS:-30} s each"
  "$root/scripts/fuzz.sh" "${FUZZ_SECONDS:-30}"
fi
stage "all tests passed"
