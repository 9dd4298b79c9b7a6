#include "vfs/journal_buffer.h"

#include <algorithm>
#include <cstring>

namespace cloudlite::vfs {

Result<size_t> JournalBuffer::Read(uint64_t offset, char* out, size_t n) const {
  if (offset >= size_) return size_t{0};
  size_t got = static_cast<size_t>(std::min<uint64_t>(n, size_ - offset));
  if (file_) {
    CL_RETURN_IF_ERROR(file_->Read(offset, out, got));
  } else {
    std::memcpy(out, memory_.data() + offset, got);
  }
  return got;
}

Status JournalBuffer::Write(uint64_t offset, std::string_view bytes) {
  uint64_t end = offset + bytes.size();
  if (!file_ && end > limit_) CL_RETURN_IF_ERROR(MoveToFile());
  if (file_) {
    CL_RETURN_IF_ERROR(file_->Write(offset, bytes));
    if (stats_) stats_->spilled_bytes += bytes.size();
  } else {
    if (memory_.capacity() < end) {  // doubling, but never past the limit
      memory_.reserve(std::min(std::max<uint64_t>(end, 2 * memory_.capacity()), limit_));
    }
    if (memory_.size() < end) memory_.resize(end);
    std::memcpy(memory_.data() + offset, bytes.data(), bytes.size());
    if (stats_) stats_->peak_memory_bytes = std::max<uint64_t>(stats_->peak_memory_bytes, end);
  }
  size_ = std::max(size_, end);
  return Status::Ok();
}

Status JournalBuffer::Truncate(uint64_t size) {
  if (size >= size_) return Status::Ok();
  if (file_) {
    CL_RETURN_IF_ERROR(file_->Truncate(size));
  } else {
    memory_.resize(size);
  }
  size_ = size;
  return Status::Ok();
}

Status JournalBuffer::MoveToFile() {
  CL_ASSIGN_OR_RETURN(std::unique_ptr<SpillFile> file, SpillFile::Create(spill_dir_));
  CL_RETURN_IF_ERROR(file->Write(0, memory_));
  if (stats_) stats_->spilled_bytes += memory_.size();
  file_ = std::move(file);
  std::string().swap(memory_);
  return Status::Ok();
}

}  // namespace cloudlite::vfs
