#!/usr/bin/env bash
# Runs clang-tidy with the checks in .clang-tidy over the library and CLI sources in src/ (not
# the tests or benchmarks), using the compile_commands.json of a configured build directory.
# Usage: scripts/tidy.sh [--changed [BASE]] [FILE...]
#   no arguments     every source in src/
#   --changed BASE   only the src/ sources changed since BASE (default: main), for quick runs
#   FILE...          just these files
# Exits non-zero if clang-tidy reports anything (WarningsAsErrors is '*').
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
[[ -f $build/compile_commands.json ]] ||
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
tidy=$(command -v clang-tidy-14 || command -v clang-tidy) || { echo "clang-tidy not found" >&2; exit 1; }

cd "$root"
files=()
if [[ ${1:-} == --changed ]]; then
  base=${2:-main}
  mapfile -t files < <(git diff --name-only --diff-filter=d "$base" -- 'src/*.cc' | grep -v '_test\.cc$' || true)
  ((${#files[@]})) || { echo "tidy: no changed sources since $base"; exit 0; }
elif (($#)); then
  files=("$@")
else
  mapfile -t files < <(git ls-files 'src/*.cc' | grep -v '_test\.cc$')
fi
# clang-tidy 14 (Debian 12) cannot parse libstdc++ 12's std::views::iota, which page_map.cc
# uses: it reports errors inside the standard headers. Skip it until a newer clang-tidy.
skip='src/engine/page_map.cc'
for i in "${!files[@]}"; do [[ ${files[$i]} == "$skip" ]] && unset 'files[i]'; done
# The sources include generated views of each module's headers (cmake/CloudliteModules.cmake):
# make sure they exist and match the tree.
cmake "$build" >/dev/null

echo "tidy: ${#files[@]} file(s), $(nproc) jobs" >&2
printf '%s\n' "${files[@]}" |
  xargs -P "$(nproc)" -n 1 "$tidy" -p "$build" --quiet 2> >(grep -v '^[0-9]* warnings\? generated\.$' >&2)
echo "tidy: ok" >&2
