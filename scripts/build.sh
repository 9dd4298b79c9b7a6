#!/usr/bin/env bash
# Configures and builds cloudlite into build/ (or $BUILD_DIR).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
# Arguments before "--target" go to cmake's configure step, the rest to its build step.
configure=()
while (($#)) && [[ $1 != --target ]]; do configure+=("$1"); shift; done
# Warnings are errors in developer and CI builds (a plain `cmake` build leaves them warnings).
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=${BUILD_TYPE:-RelWithDebInfo} -DCLOUDLITE_WERROR=ON \
  "${configure[@]}" >/dev/null
cmake --build "$build" -j"$(nproc)" "$@"
