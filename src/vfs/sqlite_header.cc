#include "vfs/sqlite_header.h"

#include <cstring>

namespace cloudlite::vfs {
namespace {

void PutBig32(char* at, uint32_t value) {
  for (int i = 0; i < 4; i++) at[i] = static_cast<char>(value >> (8 * (3 - i)));
}

uint32_t GetBig32(std::string_view bytes, size_t at) {
  uint32_t v = 0;
  for (size_t i = 0; i < 4; i++) v = (v << 8) | static_cast<uint8_t>(bytes[at + i]);
  return v;
}

}  // namespace

std::optional<uint64_t> HeaderDatabaseBytes(std::string_view page1) {
  if (page1.size() < kSqliteHeaderSize || GetBig32(page1, 24) != GetBig32(page1, 92)) {
    return std::nullopt;
  }
  Result<uint32_t> page_size = ParseSqliteHeader(page1, "page 1");
  uint32_t pages = GetBig32(page1, 28);
  if (!page_size.ok() || pages == 0) return std::nullopt;
  return uint64_t{pages} * *page_size;
}

Result<uint32_t> ParseSqliteHeader(std::string_view header, std::string_view what) {
  static constexpr char kMagic[] = "SQLite format 3";  // 16 bytes with the NUL
  if (header.size() < kSqliteHeaderSize || std::memcmp(header.data(), kMagic, 16) != 0) {
    return Status::InvalidArgument(std::string(what) +
                                   " is not a SQLite database (no 'SQLite format 3' header)");
  }
  uint32_t raw = (static_cast<uint8_t>(header[16]) << 8) | static_cast<uint8_t>(header[17]);
  uint32_t page_size = raw == 1 ? 65536 : raw;
  if (page_size < 512 || (page_size & (page_size - 1)) != 0) {
    return Status::InvalidArgument(std::string(what) + " has an invalid page size in its header");
  }
  return page_size;
}

void StampHeader(char* bytes, size_t length, uint64_t version, uint64_t db_bytes) {
  Result<uint32_t> page_size = ParseSqliteHeader(std::string_view(bytes, length), "page 1");
  if (!page_size.ok()) return;  // not a database SQLite wrote; nothing to stamp
  auto counter = static_cast<uint32_t>(version);
  PutBig32(bytes + 24, counter);
  PutBig32(bytes + 28, static_cast<uint32_t>(db_bytes / *page_size));
  PutBig32(bytes + 92, counter);
}

bool SamePage1(std::string_view a, std::string_view b, bool ignore_allocation) {
  if (a.size() != b.size()) return false;
  if (a.size() < kSqliteHeaderSize) return a == b;
  size_t skip_end = ignore_allocation ? 40 : 28;
  return a.substr(0, 24) == b.substr(0, 24) &&
         a.substr(skip_end, 92 - skip_end) == b.substr(skip_end, 92 - skip_end) &&
         a.substr(100) == b.substr(100);
}

}  // namespace cloudlite::vfs
