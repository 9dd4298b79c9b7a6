#!/usr/bin/env bash
# Builds cloudlite-lambda.zip for AWS Lambda's provided.al2023 (x86_64): `bootstrap`, the ready
# function (docs/lambda.md), alone at the root, mode 0755, linked to need only libc, libm and the
# loader at GLIBC_2.34 or older. Then checks the zip (scripts/lambda-zip-check.sh).
#
# Usage: scripts/lambda-zip.sh [BUILD_DIR]   (default build-al2023/; the zip is BUILD_DIR/cloudlite-lambda.zip)
# Needs g++-11 and the static -dev packages of scripts/setup.sh; the first run builds a minimal
# static libcurl from Debian's source (scripts/lambda-deps.sh, about 5 minutes), kept in
# BUILD_DIR/deps. Set CMAKE_CXX_COMPILER_LAUNCHER=ccache to reuse objects between runs.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build-al2023}
mkdir -p "$build"
build=$(cd "$build" && pwd)

"$root/scripts/lambda-deps.sh" "$build/deps"

# pkg-config finds the minimal libcurl first; everything else is Debian's.
PKG_CONFIG_PATH=$build/deps/curl/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH} \
  cmake -S "$root" -B "$build/cmake" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_C_COMPILER=gcc-11 -DCMAKE_CXX_COMPILER=g++-11 \
  -DCMAKE_PROJECT_INCLUDE="$root/cmake/LambdaAl2023.cmake" \
  -DCLOUDLITE_TESTS=OFF -DCLOUDLITE_BENCH=OFF -U 'CURL_*' -U 'pkgcfg_lib_CURL_*' >/dev/null
# (-U: a cache from a run before the minimal libcurl existed must not keep Debian's.)
cmake --build "$build/cmake" -j"$(nproc)" --target cloudlite-lambda

stage=$build/zip
rm -rf "$stage" "$build/cloudlite-lambda.zip"
mkdir -p "$stage"
strip -o "$stage/bootstrap" "$build/cmake/cloudlite-lambda"
chmod 0755 "$stage/bootstrap"
# -X: no extra attributes (reproducible); -j: bootstrap at the root; the Unix mode is kept.
(cd "$stage" && zip -q -X -j "$build/cloudlite-lambda.zip" bootstrap)
"$root/scripts/lambda-zip-check.sh" "$build/cloudlite-lambda.zip"
echo "lambda-zip: $build/cloudlite-lambda.zip"
