// A rollback journal (or super-journal) for SQLite: in memory up to a bound, then moved whole
// into an unlinked temporary file. Nothing in it outlives the process, and nothing needs to: no
// commit is durable before its record exists, so the journal only serves SQLite's in-process
// rollback (docs/design.md).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/spill_file.h"
#include "cloudlite/status.h"

namespace cloudlite::vfs {

// What the journals of one database connection held, since it opened.
struct JournalStats {
  uint64_t peak_memory_bytes = 0;
  uint64_t spilled_bytes = 0;  // bytes written to temporary files
};

class JournalBuffer {
 public:
  // `stats` may be null.
  JournalBuffer(uint64_t memory_limit, std::string spill_dir, std::shared_ptr<JournalStats> stats)
      : limit_(memory_limit), spill_dir_(std::move(spill_dir)), stats_(std::move(stats)) {}

  // Copies up to n bytes at `offset`; returns how many there were (fewer past the end).
  Result<size_t> Read(uint64_t offset, char* out, size_t n) const;
  Status Write(uint64_t offset, std::string_view bytes);
  // Shrinks to `size` bytes (never grows).
  Status Truncate(uint64_t size);
  uint64_t size() const { return size_; }

 private:
  Status MoveToFile();

  uint64_t limit_;
  std::string spill_dir_;
  std::shared_ptr<JournalStats> stats_;
  uint64_t size_ = 0;
  std::string memory_;               // the journal, until it outgrows the limit
  std::unique_ptr<SpillFile> file_;  // the journal, after
};

}  // namespace cloudlite::vfs
