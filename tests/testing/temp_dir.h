// Scratch directories for tests: the one helper every test that needs a real directory uses.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

namespace cloudlite::test {

// A new, empty directory `<tag>-XXXXXX` under $CLOUDLITE_TEST_TMP (ctest sets it to
// build/tests/tmp), else under gtest's temporary directory. Each call gets a directory of its
// own, so tests may run in parallel. Returns "" (and fails the test) if it cannot be made.
inline std::string MakeTempDir(std::string_view tag) {
  const char* env = std::getenv("CLOUDLITE_TEST_TMP");
  std::string base = env != nullptr && *env != '\0' ? env : ::testing::TempDir();
  while (base.size() > 1 && base.back() == '/') base.pop_back();  // gtest's ends in '/'
  std::error_code ec;
  std::filesystem::create_directories(base, ec);
  std::string pattern = base + "/" + std::string(tag) + "-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    ADD_FAILURE() << "mkdtemp " << pattern << ": " << std::strerror(errno);
    return {};
  }
  return pattern;
}

// rm -rf, ignoring errors. Tests make directories read-only; write permission is given back
// first so that removal can proceed.
inline void RemoveTree(const std::string& path) {
  if (path.empty()) return;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(path, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_directory(ec) && !it->is_symlink(ec)) {
      std::filesystem::permissions(it->path(), std::filesystem::perms::owner_all,
                                   std::filesystem::perm_options::add, ec);
    }
  }
  std::filesystem::remove_all(path, ec);
}

}  // namespace cloudlite::test
