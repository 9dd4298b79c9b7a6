// The pages a write transaction changed, by page number: in memory up to a bound, the rest in
// an unlinked temporary file (docs/vfs.md, "Memory"), so that a transaction's memory does not
// grow with its size. An index in memory says where each page is: 4 bytes per page number up
// to the highest spilled one.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/spill_file.h"
#include "cloudlite/status.h"

namespace cloudlite::engine {

class DirtyPages {
 public:
  // Unbounded: everything stays in memory until SetMemoryLimit.
  DirtyPages() = default;
  // For tests and small commits built by hand: pages held in memory.
  DirtyPages(std::initializer_list<std::pair<const uint32_t, std::string>> pages);
  DirtyPages(const std::map<uint32_t, std::string>& pages);  // NOLINT(runtime/explicit)

  // Pages past `bytes` in memory go to a temporary file in `spill_dir` ("" : $TMPDIR, /tmp).
  void SetMemoryLimit(uint64_t bytes, std::string spill_dir);

  // Stores page `pgno` (every page has the size of the first one written).
  Status Write(uint32_t pgno, std::string_view page);
  // Copies page `pgno`, which must be contained, into out[0..page_size).
  Status Read(uint32_t pgno, char* out) const;
  bool contains(uint32_t pgno) const;
  void Erase(uint32_t pgno);
  // Drops the pages after `pgno` (a truncation).
  void EraseAfter(uint32_t pgno);
  void Clear();

  size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  // The size of the pages; 0 when empty or when pages of different sizes were handed to the
  // constructor (which cannot fail).
  uint32_t page_size() const { return mixed_sizes_ ? 0 : page_size_; }
  // Page numbers in ascending order.
  std::vector<uint32_t> PageNumbers() const;

  uint64_t memory_bytes() const { return memory_.size() * uint64_t{page_size_}; }
  uint64_t spilled_bytes() const { return spilled_count_ * uint64_t{page_size_}; }
  // The most bytes held in memory at once, and written to the file, since construction.
  uint64_t peak_memory_bytes() const { return peak_memory_; }
  uint64_t total_spilled_bytes() const { return total_spilled_; }

 private:
  Status Spill(uint32_t pgno, std::string_view page);

  uint64_t limit_ = UINT64_MAX;
  std::string spill_dir_;
  uint32_t page_size_ = 0;
  bool mixed_sizes_ = false;
  size_t count_ = 0;
  std::map<uint32_t, std::string> memory_;
  // Spilled pages: file_slot_[pgno] is 1 + the page's slot in the file, or 0.
  std::unique_ptr<SpillFile> file_;
  std::vector<uint32_t> file_slot_;
  std::vector<uint32_t> free_slots_;
  uint32_t slots_used_ = 0;  // slots the file holds, in use or free
  size_t spilled_count_ = 0;
  uint64_t peak_memory_ = 0;
  uint64_t total_spilled_ = 0;
};

}  // namespace cloudlite::engine
