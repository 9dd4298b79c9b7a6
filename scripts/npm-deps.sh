#!/usr/bin/env bash
# Installs the npm clients the server tests drive (tests/integration/node/package.json, pinned
# versions) into a cache directory outside the tree, once, and prints that directory. The tests
# copy their .mjs files next to its node_modules, so nothing is written into the source tree.
#   CLOUDLITE_NPM_DIR        where to install (default /tmp/cloudlite-npm)
#   CLOUDLITE_NPM_MANIFEST   the package.json to install (default the tests'; bench/serve_bench.sh
#                            passes bench/node/package.json with its own CLOUDLITE_NPM_DIR)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${CLOUDLITE_NPM_DIR:-/tmp/cloudlite-npm}
manifest=${CLOUDLITE_NPM_MANIFEST:-$root/tests/integration/node/package.json}
mkdir -p "$dir"
# Tests that run at once (ctest -j) share the directory: one installs while the others wait, so
# none goes on with a node_modules that is half there.
exec 9>"$dir/.lock"
flock 9
if ! cmp -s "$manifest" "$dir/package.json" || [[ ! -d $dir/node_modules ]]; then
  command -v npm >/dev/null || { echo "npm-deps: npm is required (apt-get install npm)" >&2; exit 1; }
  cp "$manifest" "$dir/package.json"
  if ! timeout 600 npm install --prefix "$dir" --no-audit --no-fund --loglevel=error \
      >"$dir/npm.log" 2>&1; then
    echo "npm-deps: npm install failed; see $dir/npm.log" >&2
    rm -f "$dir/package.json"
    exit 1
  fi
fi
echo "$dir"
