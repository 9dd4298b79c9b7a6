#!/usr/bin/env bash
# ctest lambda.al2023_zip: builds the provided.al2023 zip of cloudlite-lambda with Debian's
# g++-11 (scripts/lambda-zip.sh, which also checks its layout, NEEDED list, glibc versions and
# size), then runs the unzipped bootstrap through the function harness and the fault cases
# (function_faults_test.py, which also runs the CLI's `verify` on what a killed function left):
# the file shipped is the file tested. Then the example of a user's own function, lambda_hello,
# built the same way and driven by harness_test.py. Skipped (77) without g++-11. The first run
# also builds the minimal libcurl from Debian's source (network: apt).
# Usage: al2023_zip_test.sh BUILD_DIR CLOUDLITE_CLI
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:?usage: al2023_zip_test.sh BUILD_DIR CLOUDLITE_CLI}
cli=${2:?usage: al2023_zip_test.sh BUILD_DIR CLOUDLITE_CLI}
if ! command -v g++-11 >/dev/null; then
  echo "skipped: g++-11 is not installed (scripts/setup.sh installs it)"
  exit 77
fi
# Only the bootstrap target is built, through ccache when it is there: a rerun with nothing
# changed takes seconds.
if [[ -z ${CMAKE_CXX_COMPILER_LAUNCHER:-} ]] && command -v ccache >/dev/null; then
  export CMAKE_CXX_COMPILER_LAUNCHER=ccache CMAKE_C_COMPILER_LAUNCHER=ccache
fi
# The builds run at the lowest CPU priority: ctest runs this test beside the others, which
# must not wait for a compiler.
start=$(date +%s)
nice -n 19 "$root/scripts/lambda-zip.sh" "$build"
echo "al2023 zip built and checked in $(($(date +%s) - start)) s"
"$root/tests/lambda/function_harness_test.py" "$build/cloudlite-lambda.zip"
"$root/tests/lambda/function_faults_test.py" "$build/cloudlite-lambda.zip" "$cli"
# A user's own function (examples/lambda_hello.cc, cloudlite_add_lambda) the same way: it loads
# on provided.al2023 too, and answers the runtime harness's events.
nice -n 19 "$root/scripts/lambda-zip.sh" "$build" lambda_hello
"$root/tests/lambda/harness_test.py" "$build/lambda_hello.zip"
