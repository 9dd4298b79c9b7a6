#include "engine/dirty_pages.h"

#include <algorithm>
#include <cstring>

namespace cloudlite::engine {

DirtyPages::DirtyPages(std::initializer_list<std::pair<const uint32_t, std::string>> pages)
    : DirtyPages(std::map<uint32_t, std::string>(pages)) {}

DirtyPages::DirtyPages(const std::map<uint32_t, std::string>& pages) {
  for (const auto& [pgno, page] : pages) {
    if (page_size_ == 0) page_size_ = static_cast<uint32_t>(page.size());
    if (page.size() != page_size_) mixed_sizes_ = true;
    memory_.emplace(pgno, page);
  }
  count_ = memory_.size();
  peak_memory_ = memory_bytes();
}

void DirtyPages::SetMemoryLimit(uint64_t bytes, std::string spill_dir) {
  limit_ = bytes;
  spill_dir_ = std::move(spill_dir);
}

bool DirtyPages::contains(uint32_t pgno) const {
  return (pgno < file_slot_.size() && file_slot_[pgno] != 0) || memory_.count(pgno) > 0;
}

Status DirtyPages::Write(uint32_t pgno, std::string_view page) {
  if (count_ == 0 && (page.size() != page_size_ || mixed_sizes_)) {
    Clear();  // empty: the next transaction may have another page size
    page_size_ = static_cast<uint32_t>(page.size());
  }
  if (page.size() != page_size_ || page_size_ == 0) {
    return Status::Internal("dirty page " + std::to_string(pgno) + " has the wrong size");
  }
  if (auto it = memory_.find(pgno); it != memory_.end()) {
    it->second.assign(page);
    return Status::Ok();
  }
  if ((pgno < file_slot_.size() && file_slot_[pgno] != 0) || memory_bytes() + page_size_ > limit_) {
    return Spill(pgno, page);
  }
  memory_.emplace(pgno, std::string(page));
  count_++;
  peak_memory_ = std::max(peak_memory_, memory_bytes());
  return Status::Ok();
}

Status DirtyPages::Spill(uint32_t pgno, std::string_view page) {
  if (!file_) {
    CL_ASSIGN_OR_RETURN(file_, SpillFile::Create(spill_dir_));
  }
  if (pgno >= file_slot_.size()) file_slot_.resize(uint64_t{pgno} + 1, 0);
  if (file_slot_[pgno] == 0) {  // a new page: a free slot, else one more at the end
    uint32_t slot = slots_used_;
    if (!free_slots_.empty()) {
      slot = free_slots_.back();
      free_slots_.pop_back();
    } else {
      slots_used_++;
    }
    file_slot_[pgno] = slot + 1;
    count_++;
    spilled_count_++;
  }
  total_spilled_ += page_size_;
  Status s = file_->Write(uint64_t{file_slot_[pgno] - 1} * page_size_, page);
  if (!s.ok()) Erase(pgno);  // the transaction fails; what it holds stays consistent
  return s;
}

Status DirtyPages::Read(uint32_t pgno, char* out) const {
  if (auto it = memory_.find(pgno); it != memory_.end()) {
    std::memcpy(out, it->second.data(), it->second.size());
    return Status::Ok();
  }
  if (pgno >= file_slot_.size() || file_slot_[pgno] == 0) {
    return Status::Internal("page " + std::to_string(pgno) + " is not dirty");
  }
  return file_->Read(uint64_t{file_slot_[pgno] - 1} * page_size_, out, page_size_);
}

void DirtyPages::Erase(uint32_t pgno) {
  if (memory_.erase(pgno) > 0) {
    count_--;
    return;
  }
  if (pgno < file_slot_.size() && file_slot_[pgno] != 0) {
    free_slots_.push_back(file_slot_[pgno] - 1);
    file_slot_[pgno] = 0;
    count_--;
    spilled_count_--;
  }
}

void DirtyPages::EraseAfter(uint32_t pgno) {
  while (!memory_.empty() && std::prev(memory_.end())->first > pgno) {
    memory_.erase(std::prev(memory_.end()));
    count_--;
  }
  for (uint64_t p = uint64_t{pgno} + 1; p < file_slot_.size(); p++) {
    Erase(static_cast<uint32_t>(p));
  }
  if (file_slot_.size() > uint64_t{pgno} + 1) file_slot_.resize(uint64_t{pgno} + 1);
}

void DirtyPages::Clear() {
  memory_.clear();
  file_.reset();  // the file's blocks go back to the file system
  file_slot_.clear();
  file_slot_.shrink_to_fit();
  free_slots_.clear();
  slots_used_ = 0;
  count_ = 0;
  spilled_count_ = 0;
  page_size_ = 0;
  mixed_sizes_ = false;
}

std::vector<uint32_t> DirtyPages::PageNumbers() const {
  std::vector<uint32_t> pgnos;
  pgnos.reserve(count_);
  auto mem = memory_.begin();
  for (uint32_t p = 0; p < file_slot_.size(); p++) {
    if (file_slot_[p] == 0) continue;
    for (; mem != memory_.end() && mem->first < p; ++mem) pgnos.push_back(mem->first);
    pgnos.push_back(p);
  }
  for (; mem != memory_.end(); ++mem) pgnos.push_back(mem->first);
  return pgnos;
}

}  // namespace cloudlite::engine
