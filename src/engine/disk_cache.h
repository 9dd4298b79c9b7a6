// An optional on-disk cache of immutable objects and frames (e.g. Lambda's /tmp), so a warm
// restart does not fetch them again.
//
// Entries are named by a 128-bit hash of (store, key, offset) and hold the bytes exactly as
// fetched; callers verify them (checksums) like fresh bytes and drop entries that fail. Writes
// go to a temporary file renamed into place, so a crash leaves no partial entry. Failures to
// write the cache are ignored: it is only a cache. Thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "cloudlite/status.h"

namespace cloudlite::engine {

class DiskCache {
 public:
  explicit DiskCache(std::string dir) : dir_(std::move(dir)) {}

  // Creates `dir` (mode 0700) or checks that the existing one is safe to trust: a directory,
  // not a symbolic link, owned by this user, and writable by no one else. Another local user
  // who could write it could plant or swap entries. PermissionDenied says what to fix.
  static Status Prepare(const std::string& dir);

  std::optional<std::string> Get(std::string_view name);
  void Put(std::string_view name, std::string_view bytes);
  void Drop(std::string_view name);
  // The entry name for a (store, key, offset) triple.
  static std::string Name(std::string_view store, std::string_view key, uint64_t offset);

 private:
  std::string Path(std::string_view name) const;
  std::string dir_;
};

}  // namespace cloudlite::engine
