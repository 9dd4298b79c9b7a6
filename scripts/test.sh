#!/usr/bin/env bash
# Sets up, builds and runs every test: unit, conformance and integration tests (ctest), then
# the unit and conformance tests again under AddressSanitizer + UndefinedBehaviorSanitizer, and
# the multi-threaded ones under ThreadSanitizer. SKIP_SANITIZERS=1 skips the sanitizer builds.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"

echo "== build" >&2
BUILD_DIR=$root/build "$root/scripts/build.sh"
echo "== tests" >&2
ctest --test-dir "$root/build" --output-on-failure -j"$(nproc)" --timeout 900

if [[ "${SKIP_SANITIZERS:-0}" != 1 ]]; then
  echo "== tests under ASan+UBSan" >&2
  BUILD_DIR=$root/build-asan BUILD_TYPE=Debug "$root/scripts/build.sh" \
    -DCLOUDLITE_SANITIZE=address,undefined -DCLOUDLITE_BENCH=OFF
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir "$root/build-asan" --output-on-failure -j"$(nproc)" --timeout 900 \
      -E '^integration\.'

  echo "== multi-threaded tests under TSan" >&2
  BUILD_DIR=$root/build-tsan BUILD_TYPE=Debug "$root/scripts/build.sh" \
    -DCLOUDLITE_SANITIZE=thread -DCLOUDLITE_BENCH=OFF --target cloudlite_tests
  TSAN_OPTIONS=halt_on_error=1 "$root/build-tsan/tests/cloudlite_tests" \
    --gtest_filter='*Thread*:*Concurren*:*Race*:-*AcrossProcesses*:*Process*' --gtest_brief=1
fi
echo "== all tests passed" >&2
