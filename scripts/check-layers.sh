#!/usr/bin/env bash
# Checks the layering two ways:
# 1. Every `#include "module/..."` in src/ against the rule table below (the same table as
#    CMakeLists.txt and src/<module>/README.md), and <sqlite3.h> only where SQLite belongs.
# 2. (with a build directory) that the build really refuses forbidden edges: for example a file
#    in format/ including engine/engine.h, or the CLI including store/registry.h, fails to compile.
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
  [cli]="base server cloudlite"
  [server]="dynamo base cloudlite"
  [lambda]="net base cloudlite"
  [lambda_function]="lambda server base cloudlite"
  [dynamo]="base cloudlite"
)
# Single headers a module may include from a module it may not otherwise use.
declare -A may_header=(
  [api]="vfs/status_mapping.h"
  [cli]="api/statement.h vfs/status_mapping.h"
  [lambda]="server/http/handler.h"
  [server]="api/statement.h vfs/status_mapping.h net/sigv4.h net/aws/dynamodb_wire.h"
)
# Public headers some modules must not include even though they see include/cloudlite/.
declare -A never=(
  [base]="cloudlite/database.h cloudlite/admin.h cloudlite/history.h cloudlite/changes.h cloudlite/gc.h"
  [format]="cloudlite/database.h cloudlite/admin.h cloudlite/history.h cloudlite/changes.h cloudlite/gc.h cloudlite/options.h"
  [net]="cloudlite/database.h cloudlite/admin.h cloudlite/history.h cloudlite/changes.h cloudlite/gc.h cloudlite/options.h"
  [store]="cloudlite/database.h cloudlite/admin.h cloudlite/history.h cloudlite/changes.h cloudlite/gc.h cloudlite/options.h"
  [engine]="cloudlite/database.h cloudlite/admin.h cloudlite/history.h cloudlite/changes.h cloudlite/gc.h cloudlite/options.h"
  [vfs]="cloudlite/database.h cloudlite/admin.h cloudlite/history.h cloudlite/changes.h cloudlite/gc.h"
  [lambda]="cloudlite/database.h cloudlite/admin.h cloudlite/history.h cloudlite/changes.h cloudlite/gc.h"
  [dynamo]="cloudlite/database.h cloudlite/admin.h cloudlite/history.h cloudlite/changes.h cloudlite/gc.h cloudlite/options.h"
)
# Modules that may include <sqlite3.h> (the engine and everything below it know no SQLite).
sqlite_ok=" vfs api ext cli server "

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
      if [[ $allowed != *" $target "* && " ${may_header[$module]:-} " != *" $header "* ]]; then
        fail "$file:$line: $module may not include $header"
      fi
      for h in ${never[$module]:-}; do
        [[ $header == "$h" ]] && fail "$file:$line: $module may not include $header"
      done
    elif [[ $text =~ \#include\ *\<sqlite3(ext)?\.h\> && $sqlite_ok != *" $module "* ]]; then
      fail "$file:$line: $module knows no SQLite (<sqlite3.h>)"
    fi
  done < <(grep -rn '^#include' "$dir" || true)
done

# Beast and Asio belong to the listener alone (src/server/http/listener.cc): handlers stay free of
# sockets, so a Lambda adapter and tests can call them directly.
while IFS=: read -r file line _; do
  [[ $file == src/server/http/listener.cc || $file == *_test.cc ]] && continue
  fail "$file:$line: only src/server/http/listener.cc includes Boost.Beast/Asio"
done < <(grep -rnE '^#include *<boost/(beast|asio)' src/ || true)

# 2. The build refuses a forbidden include: compile probes with the include path a source of a
#    module really gets (from compile_commands.json), which must fail across a forbidden edge.
build=${1:-}
if [[ -n $build ]]; then
  probe=$(mktemp --suffix=.cc)
  trap 'rm -f "$probe"' EXIT
  # The -I flags of the compile command of `source`.
  include_flags() {
    python3 - "$build/compile_commands.json" "$root/$1" <<'PY'
import json, shlex, sys
for entry in json.load(open(sys.argv[1])):
    if entry["file"] == sys.argv[2]:
        words = shlex.split(entry.get("command") or " ".join(entry["arguments"]))
        keep = [w for i, w in enumerate(words)
                if w.startswith(("-I", "-isystem")) or words[i - 1] == "-isystem"]
        print(" ".join(shlex.quote(w) for w in keep))
        break
PY
  }
  # compiles SOURCE INCLUDE: succeeds if a file of SOURCE's target can include INCLUDE.
  compiles() {
    local flags
    flags=$(include_flags "$1")
    [[ -n $flags ]] || { fail "$1 is not in $build/compile_commands.json"; return 2; }
    printf '#include "%s"\n' "$2" > "$probe"
    eval "${CXX:-c++} -std=c++20 -fsyntax-only $flags $probe" 2>/dev/null
  }
  expect() {  # expect yes|no SOURCE INCLUDE
    local rc=0
    compiles "$2" "$3" || rc=$?
    ((rc == 2)) && return
    if [[ $1 == yes && $rc != 0 ]]; then fail "$2's target cannot include $3 (probe broken?)"; fi
    if [[ $1 == no && $rc == 0 ]]; then fail "$2's target can include $3"; fi
  }
  expect yes src/format/format.cc format/format.h
  expect no src/format/format.cc engine/engine.h
  expect no src/engine/engine.cc vfs/vfs.h
  expect no src/vfs/vfs.cc cloudlite/database.h
  expect yes src/cli/main.cc cloudlite/database.h
  expect no src/cli/main.cc store/registry.h
  expect no src/cli/main.cc net/aws_config.h
  expect no src/cli/main.cc vfs/vfs.h
  expect no src/cli/main.cc api/replay.h
  expect yes src/cli/main.cc api/statement.h
  expect no src/store/file/file_store.cc net/http_client.h
  # net/aws/dynamodb_wire is its own target above net: the DynamoDB store sees it, S3 and net
  # itself do not.
  expect yes src/store/dynamodb/dynamodb_client.cc net/aws/dynamodb_wire.h
  expect no src/store/s3/s3_store.cc net/aws/dynamodb_wire.h
  expect no src/net/http_client.cc net/aws/dynamodb_wire.h
  expect yes src/lambda/lambda.cc server/http/handler.h
  expect no src/lambda/lambda.cc cloudlite/database.h
  expect no src/lambda/lambda.cc engine/engine.h
  expect no examples/lambda_hello.cc net/http_client.h
  expect no examples/lambda_hello.cc lambda/runtime.h
  # The ready function sees the SQL service and the runtime's public API, never below api.
  expect yes src/lambda_function/function.cc server/sql/service.h
  expect no src/lambda_function/function.cc lambda/runtime.h
  expect no src/lambda_function/function.cc store/registry.h
  expect no src/lambda_function/function.cc engine/engine.h
  # dynamo is the data model only: base and Boost.JSON, never the HTTP layer or the library.
  expect yes src/dynamo/value.cc base/coding.h
  expect no src/dynamo/value.cc server/http/handler.h
  expect no src/dynamo/value.cc cloudlite/database.h
  expect yes src/server/http/handler.cc server/http/handler.h
  expect no src/server/http/handler.cc server/http/listener.h
  expect no src/server/http/handler.cc store/object_store.h
fi

if ((failures)); then
  echo "layering: $failures violation(s); the rules are in src/<module>/README.md" >&2
  exit 1
fi
echo "layering: ok"
