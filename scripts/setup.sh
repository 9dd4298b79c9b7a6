#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine lacks to build and test cloudlite. Idempotent: it
# installs only missing packages, and runs `apt-get update` only when an install needs it.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git
  libsqlite3-dev sqlite3 libzstd-dev libxxhash-dev libcli11-dev libfmt-dev
  libcurl4-openssl-dev libssl-dev libedit-dev
  # the cloudlite executable's allocator (CMakeLists.txt, CLOUDLITE_JEMALLOC)
  libjemalloc-dev
  # Beast/Asio for the HTTP servers and Boost.JSON (1.81: Debian's default Boost 1.74 has no JSON)
  libboost1.81-dev libboost-json1.81-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  python3 clang-format clang-tidy
  # cloudlite_add_lambda zips a Lambda function (cmake/CloudliteLambda.cmake)
  zip
  # scripts/lambda-zip.sh: the provided.al2023 zip (GCC 12's static libstdc++ needs glibc 2.35+)
  g++-11
  # scripts/fuzz.sh: libFuzzer (clang 14, Debian's default, cannot compile libstdc++ 12's <ranges>)
  clang-16 libclang-rt-16-dev
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  exit 0
fi

sudo=""
if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
echo "setup: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
if ! $sudo apt-get install -y -q "${missing[@]}" >/dev/null; then
  $sudo apt-get update -q >/dev/null
  $sudo apt-get install -y -q "${missing[@]}" >/dev/null
fi
