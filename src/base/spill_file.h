// Scratch space on disk for a transaction's bytes that would not fit in memory: an unlinked
// temporary file, so that nothing of it outlives the process (or the object), whatever happens.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "cloudlite/status.h"

namespace cloudlite {

class SpillFile {
 public:
  // Creates the file in `dir` (empty: $TMPDIR, else /tmp), readable by this user only.
  static Result<std::unique_ptr<SpillFile>> Create(const std::string& dir);
  ~SpillFile();
  SpillFile(const SpillFile&) = delete;
  SpillFile& operator=(const SpillFile&) = delete;

  Status Write(uint64_t offset, std::string_view bytes);
  // Reads exactly n bytes at `offset` (IOError if the file is shorter).
  Status Read(uint64_t offset, char* out, size_t n) const;
  Status Truncate(uint64_t size);

 private:
  SpillFile(int fd, std::string dir) : fd_(fd), dir_(std::move(dir)) {}
  int fd_;
  std::string dir_;  // for error messages
};

}  // namespace cloudlite
