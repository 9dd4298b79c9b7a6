// Running a statement the library itself needs (BEGIN, COMMIT, ROLLBACK) and naming its failure.
#pragma once

#include <sqlite3.h>

#include <string_view>

#include "cloudlite/status.h"

namespace cloudlite {

// A SQLite error as a Status (vfs/status_mapping.h), SQLite's message prefixed with `context`;
// the store's own status when the VFS recorded one.
Status SqliteError(sqlite3* db, int rc, std::string_view context);

// Runs `sql` to its end.
Status Exec(sqlite3* db, const char* sql);

// Rolls back the transaction open on `db`, if any.
void RollbackIfOpen(sqlite3* db);

}  // namespace cloudlite
