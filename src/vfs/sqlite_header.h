// What cloudlite needs to know about the SQLite file format's 100-byte header
// (https://www.sqlite.org/fileformat2.html#the_database_header).
#pragma once

#include <cstdint>
#include <string_view>

#include "cloudlite/status.h"

namespace cloudlite::vfs {

inline constexpr size_t kSqliteHeaderSize = 100;

// The page size a SQLite header declares, or InvalidArgument naming `what` when the bytes are
// not the start of a SQLite database.
Result<uint32_t> ParseSqliteHeader(std::string_view header, std::string_view what);

// Rewrites, inside `bytes` (which start at file offset `offset`), the header fields that tell
// SQLite whether a database changed: the change counter (24), the in-header page count (28)
// and version-valid-for (92). Deriving them from the cloudlite version makes every version's
// counter distinct, so a connection never keeps pages cached across a change, even when a
// pushed file carries an old counter.
void StampHeader(char* bytes, uint64_t offset, size_t length, uint64_t version, uint32_t pages);

}  // namespace cloudlite::vfs
