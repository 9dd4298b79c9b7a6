#!/usr/bin/env bash
# Another CMake project can find_package(cloudlite) after `cmake --install` and use the library,
# and build and package its own Lambda function with cloudlite_add_lambda (docs/lambda.md).
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
cloudlite_add_lambda(hello_fn SOURCES hello_fn.cc LIBRARIES cloudlite::cloudlite)
CMAKE
cat > "$work/app/hello_fn.cc" <<'CC'
#include <cloudlite/database.h>
#include <cloudlite/lambda.h>
int main() {
  return cloudlite::lambda::Run([](const cloudlite::lambda::Request& request) {
    const auto* invocation = cloudlite::lambda::CurrentInvocation();  // an InvocationContext
    return cloudlite::lambda::Response::Text(200, request.path + " " + invocation->request_id);
  });
}
CC
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

# The function's zip holds an executable bootstrap, alone at its root.
zip=$work/app/build/hello_fn.zip
[[ $(unzip -Z1 "$zip") == bootstrap ]] || { echo "FAIL: $zip does not hold bootstrap alone"; exit 1; }
[[ $(unzip -Z "$zip" bootstrap) == -rwxr-xr-x* ]] || { echo "FAIL: bootstrap is not 0755"; exit 1; }
unzip -q "$zip" -d "$work/fn"
# Outside Lambda, Run returns 2 at once with a message (docs/lambda.md, "Your own function").
rc=0
out=$(env -u AWS_LAMBDA_RUNTIME_API "$work/fn/bootstrap" 2>&1) || rc=$?
[[ $rc == 2 && $out == *"AWS_LAMBDA_RUNTIME_API is not set"* ]] ||
  { echo "FAIL: bootstrap outside Lambda: exit $rc, output: $out"; exit 1; }
echo PASS
