#include "vfs/sqlite_header.h"

#include <cstring>

namespace cloudlite::vfs {
namespace {

void PutBig32(char* header_field, uint64_t offset, size_t length, uint64_t field_offset,
              uint32_t value) {
  for (uint64_t i = 0; i < 4; i++) {
    uint64_t at = field_offset + i;
    if (at >= offset && at < offset + length) {
      header_field[at - offset] = static_cast<char>(value >> (8 * (3 - i)));
    }
  }
}

}  // namespace

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

void StampHeader(char* bytes, uint64_t offset, size_t length, uint64_t version, uint32_t pages) {
  if (offset >= kSqliteHeaderSize) return;
  uint32_t counter = static_cast<uint32_t>(version);
  PutBig32(bytes, offset, length, 24, counter);
  PutBig32(bytes, offset, length, 28, pages);
  PutBig32(bytes, offset, length, 92, counter);
}

}  // namespace cloudlite::vfs
