// A set of page numbers as a bitmap: what a transaction read, tested against what concurrent
// commits wrote. A bitmap because reads insert one page at a time, on the hot path, and a scan
// of a 1 GiB database (262,144 pages of 4 KiB) costs 32 KiB.
#pragma once

#include <cstdint>
#include <vector>

namespace cloudlite::vfs {

class PageSet {
 public:
  void Insert(uint32_t pgno) {
    if (pgno >= bits_.size()) bits_.resize(pgno + 1);
    bits_[pgno] = true;
  }
  bool Contains(uint32_t pgno) const { return pgno < bits_.size() && bits_[pgno]; }
  void Clear() { bits_.clear(); }
  bool empty() const { return bits_.empty(); }
  void Merge(const PageSet& other) {
    if (other.bits_.size() > bits_.size()) bits_.resize(other.bits_.size());
    for (size_t i = 0; i < other.bits_.size(); i++) {
      if (other.bits_[i]) bits_[i] = true;
    }
  }

 private:
  std::vector<bool> bits_;
};

}  // namespace cloudlite::vfs
