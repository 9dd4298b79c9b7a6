#!/usr/bin/env bash
# Another CMake project can find_package(cloudlite) after `cmake --install` and use the library.
set -euo pipefail
build=${CLOUDLITE_BUILD:?set by ctest}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" >/dev/null
mkdir -p "$work/app"
cat > "$work/app/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.25)
project(consumer CXX)
set(CMAKE_CXX_STANDARD 20)
find_package(cloudlite REQUIRED)
add_executable(consumer main.cc)
target_link_libraries(consumer PRIVATE cloudlite::cloudlite)
CMAKE
cat > "$work/app/main.cc" <<'CC'
#include <cloudlite/database.h>
#include <cstdio>
int main(int argc, char** argv) {
  auto db = cloudlite::Database::Open(argv[1]);
  if (!db.ok()) return 1;
  cloudlite::Status s = (*db)->Update([](cloudlite::Connection& c) {
    return c.Exec("CREATE TABLE t (x); INSERT INTO t VALUES (42);");
  });
  if (!s.ok()) return 2;
  int64_t x = 0;
  s = (*db)->View([&](cloudlite::Connection& c) {
    auto rows = c.Query("SELECT x FROM t");
    if (!rows.ok()) return rows.status();
    x = std::get<int64_t>(rows->rows[0][0]);
    return cloudlite::Status::Ok();
  });
  std::printf("%lld\n", static_cast<long long>(x));
  return s.ok() && x == 42 ? 0 : 3;
}
CC
cmake -S "$work/app" -B "$work/app/build" -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/app/build" >/dev/null
[[ $("$work/app/build/consumer" "file://$work/store/db") == 42 ]] || { echo "FAIL: consumer"; exit 1; }
echo PASS
