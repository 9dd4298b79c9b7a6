#!/usr/bin/env bash
# Checks the layering two ways:
# 1. Every `#include "module/..."` in src/ against the rule table below (the same table as
#    CMakeLists.txt and src/<module>/README.md), and <sqlite3.h> only where SQLite belongs.
# 2. (with a build directory) that CMake really refuses a forbidden edge: a file in format/
#    including engine/engine.h must fail to compile inside the format target.
# Usage: scripts/check-layers.sh [BUILD_DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

# module -> the modules its files may include (itself always). "cloudlite" is include/cloudlite/.
declare -A may=(
  [base]="cloudlite"
  [format]="base cloudlite"
  [net]="base cloudlite"
  [store]="net base cloudlite"
  [engine]="store format base cloudlite"
  [vfs]="engine store format base cloudlite"
  [api]="vfs engine store format net base cloudlite"
  [ext]="vfs cloudlite"
  [cli]="cloudlite"
)
# Public headers some modules must not include even though they see include/cloudlite/.
declare -A never=(
  [base]="cloudlite/database.h cloudlite/admin.h"
  [format]="cloudlite/database.h cloudlite/admin.h cloudlite/options.h"
  [net]="cloudlite/database.h cloudlite/admin.h cloudlite/options.h"
  [store]="cloudlite/database.h cloudlite/admin.h cloudlite/options.h"
  [engine]="cloudlite/database.h cloudlite/admin.h cloudlite/options.h"
  [vfs]="cloudlite/database.h cloudlite/admin.h"
)
# Modules that may include <sqlite3.h> (the engine and everything below it know no SQLite).
sqlite_ok=" vfs api ext cli "

failures=0
fail() { echo "layering: $*" >&2; failures=$((failures + 1)); }

for dir in src/*/; do
  module=$(basename "$dir")
  [[ -v may[$module] ]] || { fail "src/$module has no row in the rule table"; continue; }
  allowed=" $module ${may[$module]} "
  while IFS=: read -r file line text; do
    [[ $file == *_test.cc ]] && continue  # tests may reach into any module
    if [[ $text =~ \#include\ *\"([a-z_0-9]+)/([^\"]+)\" ]]; then
      target=${BASH_REMATCH[1]}
      header=$target/${BASH_REMATCH[2]}
      [[ $target == fmt || $target == cli && $module == cli ]] && continue
      [[ $allowed == *" $target "* ]] || fail "$file:$line: $module may not include $header"
      for h in ${never[$module]:-}; do
        [[ $header == "$h" ]] && fail "$file:$line: $module may not include $header"
      done
    elif [[ $text =~ \#include\ *\<sqlite3(ext)?\.h\> && $sqlite_ok != *" $module "* ]]; then
      fail "$file:$line: $module knows no SQLite (<sqlite3.h>)"
    fi
  done < <(grep -rn '^#include' "$dir" || true)
done

# 2. The build refuses a forbidden include: compile a probe file in format's include view.
build=${1:-}
if [[ -n $build ]]; then
  flags=$(sed -n 's/^CXX_INCLUDES = //p' "$build/CMakeFiles/cloudlite_format.dir/flags.make")
  [[ -n $flags ]] || fail "no include flags for cloudlite_format in $build"
  probe=$(mktemp --suffix=.cc)
  trap 'rm -f "$probe"' EXIT
  compile() { printf '%s\n' "$1" > "$probe"; eval "${CXX:-c++} -std=c++20 -fsyntax-only $flags $probe" 2>/dev/null; }
  compile '#include "format/format.h"' || fail "the probe cannot include format's own header"
  compile '#include "engine/engine.h"' && fail "format's target can include engine/engine.h"
  compile '#include "vfs/vfs.h"' && fail "format's target can include vfs/vfs.h"
fi

if ((failures)); then
  echo "layering: $failures violation(s); the rules are in src/<module>/README.md" >&2
  exit 1
fi
echo "layering: ok"
