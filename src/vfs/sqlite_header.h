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

// Whether two images of page 1 hold the same database state apart from the header fields that
// every commit rewrites: the change counter (24), version-valid-for and the SQLite version
// (92-99), and, with `ignore_allocation`, the page count (28) and the freelist head and count
// (32-39), which change whenever any transaction allocates or frees a page. Everything else on
// page 1 (the schema cookie, user_version, the sqlite_schema b-tree root) counts.
bool SamePage1(std::string_view a, std::string_view b, bool ignore_allocation);

}  // namespace cloudlite::vfs
