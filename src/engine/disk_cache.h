// An optional on-disk cache of immutable objects and frames (e.g. Lambda's /tmp), so a warm
// restart does not fetch them again.
//
// Entries are named by a 128-bit hash of (store, key, offset) and hold the bytes exactly as
// fetched; callers verify them (checksums bound to the object and offset, versions, incarnation
// ids) like fresh bytes, drop entries that fail and fetch them again. Failures to write the
// cache are ignored: it is only a cache. Thread-safe.
//
// Bounded: the entries' bytes stay within `max_bytes`, least recently used first out. An entry's
// modification time is its last use (set on Put and on every Get hit: one futimens on the open
// file), so the order survives restarts and is shared by every process using the directory.
// A Put scans the directory (one readdir and a stat per entry) once per eighth of the bound it
// writes, and whenever it would pass the bound; a scan that finds too much deletes the least
// recently used entries down to 7/8 of the bound.
//
// Several processes (or DiskCache instances) may share one directory: entries are written to a
// temporary file and renamed into place, so a reader sees a whole entry or none; a file deleted
// by another process's eviction is a miss, and one being read stays readable until closed.
// Between its scans an instance knows only its own writes, so instances sharing a directory
// may together overshoot the bound by up to an eighth of it per extra instance until the next
// scan. Temporary files a killed writer left behind are deleted by a scan an hour later.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "cloudlite/status.h"

namespace cloudlite::engine {

// The default bound: 1 GiB, but at most half the space free for the directory (counting what
// the cache holds), so that a small disk such as Lambda's 512 MB /tmp keeps room for the rest.
inline constexpr uint64_t kDefaultDiskCacheBytes = uint64_t{1} << 30;

class DiskCache {
 public:
  // `max_bytes` 0: the default (kDefaultDiskCacheBytes, capped by the free space).
  explicit DiskCache(std::string dir, uint64_t max_bytes = 0);

  // The process's instance for `dir` and `max_bytes`, shared by every Engine that names them, so
  // that it counts all their writes.
  static std::shared_ptr<DiskCache> ForDirectory(const std::string& dir, uint64_t max_bytes);

  // Creates `dir` (mode 0700) or checks that the existing one is safe to trust: a directory,
  // not a symbolic link, owned by this user, and writable by no one else. Another local user
  // who could write it could plant or swap entries. PermissionDenied says what to fix.
  static Status Prepare(const std::string& dir);

  // The entry's bytes, marking it used; nullopt on a miss.
  std::optional<std::string> Get(std::string_view name);
  // Stores an entry (not one larger than the bound), evicting others to stay within it.
  void Put(std::string_view name, std::string_view bytes);
  void Drop(std::string_view name);
  // The entry name for a (store, key, offset) triple.
  static std::string Name(std::string_view store, std::string_view key, uint64_t offset);

  uint64_t max_bytes() const { return max_bytes_; }
  // The bytes of the entries in the directory now (one scan; temporary files not counted).
  uint64_t HeldBytes() const;

 private:
  std::string Path(std::string_view name) const;
  // Lists the directory: sets held_ and, when `room` is needed for a new entry, deletes the least
  // recently used entries until held_ + room is at most 7/8 of the bound. Called with mu_ held.
  void ScanAndEvict(uint64_t room);
  // A use time for an entry: the wall clock in nanoseconds, strictly increasing in this process.
  int64_t NextStamp();

  const std::string dir_;
  const uint64_t max_bytes_;
  std::mutex mu_;
  bool scanned_ = false;  // held_ is known
  uint64_t held_ = 0;     // bytes at the last scan, plus this instance's Puts since
  uint64_t written_ = 0;  // bytes this instance's Puts added since the last scan
  int64_t last_stamp_ = 0;
};

}  // namespace cloudlite::engine
