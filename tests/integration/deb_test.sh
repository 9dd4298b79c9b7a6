#!/usr/bin/env bash
# The .deb that `cpack -G DEB` makes from the build directory (no second build): its Depends
# names Debian packages that this machine has installed, it holds the CLI, the extension, the
# library, the headers and the CMake package under /usr, and what it installs works: unpacked
# into a scratch root with `dpkg -x`, the CLI runs a push/sql/pull round trip on a file:// store
# and sqlite3 loads the extension from its installed path. As root on a machine without the
# package (CI), it is also installed with dpkg -i, used from /usr and removed.
set -euo pipefail
build=${CLOUDLITE_BUILD:?set by ctest}
for tool in cpack dpkg-deb dpkg-shlibdeps sqlite3; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool not found (dpkg-dev, cmake, sqlite3)"; exit 0; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# cpack installs the build directory into its own staging area: the build tree is not touched.
cpack -G DEB -B "$work/pkg" --config "$build/CPackConfig.cmake" >"$work/cpack.log" 2>&1 ||
  fail "cpack: $(tail -20 "$work/cpack.log")"
debs=("$work"/pkg/cloudlite_*.deb)
[[ ${#debs[@]} == 1 && -f ${debs[0]} ]] || fail "cpack made no single cloudlite_*.deb: $(ls "$work/pkg")"
deb=${debs[0]}

echo "== control fields"
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
names=$(sed 's/ ([^)]*)//g; s/, */\n/g' <<<"$depends")
for lib in libc6 libstdc++6 libsqlite3-0 libzstd1 libxxhash0 libcurl4 libssl3 libedit2 libfmt9; do
  grep -qxF "$lib" <<<"$names" || fail "Depends lacks $lib: $depends"
done
# Every dependency is a package this Debian has, at a version it satisfies (a fresh Debian 12
# with the same packages installs it).
IFS=',' read -ra clauses <<<"$depends"
for clause in "${clauses[@]}"; do
  clause=${clause# }
  [[ $clause != *'|'* ]] || continue  # alternatives: none expected, nothing to check strictly
  name=${clause%% *}
  have=$(dpkg-query -W -f='${Version}' "$name" 2>/dev/null) || fail "Depends names $name, which is not installed here"
  if [[ $clause =~ \((..?)\ (.+)\) ]]; then
    op=${BASH_REMATCH[1]} want=${BASH_REMATCH[2]}
    case $op in '>=') op=ge ;; '<=') op=le ;; '>>') op=gt ;; '<<') op=lt ;; '=') op=eq ;; esac
    dpkg --compare-versions "$have" "$op" "$want" || fail "$name $have does not satisfy $clause"
  fi
done
[[ $(dpkg-deb -f "$deb" Architecture) == "$(dpkg --print-architecture)" ]] ||
  fail "Architecture: $(dpkg-deb -f "$deb" Architecture)"

echo "== contents"
dpkg-deb -c "$deb" | awk '{print $6}' >"$work/files"
for want in ./usr/bin/cloudlite '/libcloudlite\.so$' '/libcloudlite_api\.a$' \
            ./usr/include/cloudlite/database.h '/cmake/cloudlite/cloudliteConfig\.cmake$' \
            '/cmake/cloudlite/cloudliteTargets\.cmake$'; do
  grep -qE -- "$want" "$work/files" || fail "the package lacks $want; it has: $(cat "$work/files")"
done

echo "== unpacked into a scratch root"
root=$work/root
dpkg -x "$deb" "$root"
cli=$root/usr/bin/cloudlite
ext=$(find "$root/usr" -name libcloudlite.so -print -quit)
[[ -x $cli && -n $ext ]] || fail "no cloudlite or libcloudlite.so under $root/usr"
"$cli" --version | tee "$work/version"
grep -qF "$(dpkg-deb -f "$deb" Version)" "$work/version" || fail "--version is not the package's"

store="file://$work/store"
sqlite3 "$work/orig.db" "CREATE TABLE t(x INTEGER PRIMARY KEY, s TEXT); INSERT INTO t VALUES (1, 'one'), (2, 'two');"
"$cli" push "$work/orig.db" "$store/db" >/dev/null
"$cli" sql "$store/db" "INSERT INTO t VALUES (3, 'three')" >/dev/null
[[ $("$cli" sql --json "$store/db" "SELECT group_concat(s) AS s FROM t") == *'"one,two,three"'* ]] ||
  fail "sql after push: $("$cli" sql --json "$store/db" "SELECT group_concat(s) AS s FROM t")"
"$cli" pull "$store/db" "$work/copy.db" >/dev/null
[[ $(sqlite3 "$work/copy.db" "SELECT count(*) FROM t") == 3 ]] || fail "pulled copy"

got=$(sqlite3 <<SQL
.load ${ext%.so}
.open 'file:db?vfs=cloudlite&store=$store'
INSERT INTO t VALUES (4, 'four');
SELECT group_concat(s) FROM t;
SQL
)
[[ $got == one,two,three,four ]] || fail "sqlite3 with the installed extension: $got"
[[ $("$cli" sql "$store/db" "SELECT count(*) AS n FROM t" | tail -1) == 4 ]] ||
  fail "the extension's commit is not seen by the CLI"

# Installed for real with dpkg -i where that changes nothing of the machine's own: as root, with
# no cloudlite package installed (CI's fresh Debian 12). The CLI and the extension then run from
# /usr, and the package is removed again. A developer's installed cloudlite is never replaced.
echo "== installed with dpkg -i"
if [[ $(id -u) != 0 ]]; then
  echo "skipped: dpkg -i needs root"
elif dpkg-query -W -f='${Status}' cloudlite 2>/dev/null | grep -q 'ok installed'; then
  echo "skipped: a cloudlite package is installed here already"
else
  trap 'dpkg --purge cloudlite >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
  dpkg -i "$deb" >"$work/dpkg.log" 2>&1 || fail "dpkg -i: $(tail -20 "$work/dpkg.log")"
  /usr/bin/cloudlite --version | grep -qF "$(dpkg-deb -f "$deb" Version)" ||
    fail "/usr/bin/cloudlite --version is not the package's"
  installed_ext=$(dpkg -L cloudlite | grep -m1 '/libcloudlite\.so$') ||
    fail "dpkg -L lists no libcloudlite.so"
  got=$(sqlite3 <<SQL
.load ${installed_ext%.so}
.open 'file:db?vfs=cloudlite&store=$store'
INSERT INTO t VALUES (5, 'five');
SELECT count(*) FROM t;
SQL
  )
  [[ $got == 5 ]] || fail "sqlite3 with the extension installed by dpkg: $got"
  [[ $(/usr/bin/cloudlite sql "$store/db" "SELECT s FROM t WHERE x = 5" | tail -1) == five ]] ||
    fail "the installed CLI does not see the installed extension's commit"
  dpkg --purge cloudlite >"$work/dpkg-r.log" 2>&1 || fail "dpkg --purge: $(tail -20 "$work/dpkg-r.log")"
  [[ ! -e /usr/bin/cloudlite ]] || fail "dpkg --purge left /usr/bin/cloudlite"
fi
echo PASS
