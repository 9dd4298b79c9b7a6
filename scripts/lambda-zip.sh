#!/usr/bin/env bash
# Builds cloudlite-lambda.zip for AWS Lambda's provided.al2023 (x86_64): `bootstrap`, the ready
# function (docs/lambda.md), alone at the root, mode 0755, linked to need only libc, libm and the
# loader at GLIBC_2.34 or older. Then checks the zip (scripts/lambda-zip-check.sh). TARGET: another
# function of this tree made with cloudlite_add_lambda (a user's own, examples/lambda_hello)
# instead, as TARGET.zip.
#
# Usage: scripts/lambda-zip.sh [BUILD_DIR [TARGET]]   (default build-al2023/ and cloudlite-lambda;
# the zip is BUILD_DIR/TARGET.zip)
# Needs g++-11 and the static -dev packages of scripts/setup.sh; the first run builds a minimal
# static libcurl from Debian's source (scripts/lambda-deps.sh, about 5 minutes), kept in
# BUILD_DIR/deps. Set CMAKE_CXX_COMPILER_LAUNCHER=ccache to reuse objects between runs.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build-al2023}
target=${2:-cloudlite-lambda}
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
cmake --build "$build/cmake" -j"$(nproc)" --target "$target"

stage=$build/zip
rm -rf "$stage" "$build/$target.zip"
mkdir -p "$stage"
strip -o "$stage/bootstrap" "$build/cmake/$target"
chmod 0755 "$stage/bootstrap"
# -X: no extra attributes (reproducible); -j: bootstrap at the root; the Unix mode is kept.
(cd "$stage" && zip -q -X -j "$build/$target.zip" bootstrap)
"$root/scripts/lambda-zip-check.sh" "$build/$target.zip"
echo "lambda-zip: $build/$target.zip"
