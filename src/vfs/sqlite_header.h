// What cloudlite needs to know about the SQLite file format's 100-byte header
// (https://www.sqlite.org/fileformat2.html#the_database_header).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "cloudlite/status.h"

namespace cloudlite::vfs {

inline constexpr size_t kSqliteHeaderSize = 100;

// The page size a SQLite header declares, or InvalidArgument naming `what` when the bytes are
// not the start of a SQLite database.
Result<uint32_t> ParseSqliteHeader(std::string_view header, std::string_view what);

// The database size in bytes that a page 1 written by SQLite declares (its page count at 28
// times its page size at 16), when SQLite marked the count valid (version-valid-for at 92
// equals the change counter at 24); else nullopt. SQLite sets it before a commit's sync, while a
// shrinking truncate comes only after it.
std::optional<uint64_t> HeaderDatabaseBytes(std::string_view page1);

// Rewrites, in the first `length` (>= 100) bytes of a database file, the header fields that tell
// SQLite whether a database changed: the change counter (24), the page count (28, from
// `db_bytes` and the header's own page size) and version-valid-for (92). Deriving them from the
// cloudlite version makes every version's counter distinct, so a connection never keeps pages
// cached across a change, even when a pushed file carries an old counter.
void StampHeader(char* bytes, size_t length, uint64_t version, uint64_t db_bytes);

}  // namespace cloudlite::vfs
