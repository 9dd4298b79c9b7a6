#!/usr/bin/env bash
# Runs the adversary and re-creation torture tests for much longer than ctest does.
#
#   scripts/torture.sh adversary [SEEDS] [FIRST_SEED]   # default 1000 seeds from 1000
#   scripts/torture.sh recreate [CYCLES]                # default 200 rm + create cycles
#   scripts/torture.sh gc [KILLS]                       # default 1000 kill -9s of a collector
#
# The adversary run runs on mem:// and
# file://, and on s3:// when CLOUDLITE_TEST_S3_URI is set (eval "$(scripts/rgw-start.sh)").
# Any CLOUDLITE_ADVERSARY_* or CLOUDLITE_TORTURE_* variable set by the caller is kept, e.g.
# CLOUDLITE_ADVERSARY_RATE=0.05 for more strikes per round. Builds cloudlite_torture first.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
what=${1:-adversary}
BUILD_DIR=$build "$root/scripts/build.sh" --target cloudlite_torture >/dev/null
mkdir -p "$build/tests/tmp"
export CLOUDLITE_TEST_TMP=${CLOUDLITE_TEST_TMP:-$build/tests/tmp}
case $what in
  adversary)
    export CLOUDLITE_ADVERSARY_SEEDS=${2:-1000}
    export CLOUDLITE_TORTURE_SEED=${3:-1000}
    export CLOUDLITE_ADVERSARY_SECONDS=${CLOUDLITE_ADVERSARY_SECONDS:-3600}
    filter='AdversaryTorture.*'
    ;;
  recreate)
    export CLOUDLITE_RECREATE_CYCLES=${2:-200}
    export CLOUDLITE_RECREATE_ITERATIONS=${CLOUDLITE_RECREATE_ITERATIONS:-100000}
    filter='RecreateTorture.*'
    ;;
  gc)
    export CLOUDLITE_TORTURE_GC_KILLS=${2:-1000}
    export CLOUDLITE_TORTURE_SECONDS=${CLOUDLITE_TORTURE_SECONDS:-3600}
    filter='GcTorture.*'
    ;;
  *)
    echo "usage: $0 adversary [SEEDS] [FIRST_SEED] | recreate [CYCLES] | gc [KILLS]" >&2
    exit 2
    ;;
esac
exec "$build/tests/cloudlite_torture" --gtest_filter="$filter"
