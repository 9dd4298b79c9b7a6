// Running user SQL through a Database: the part `sql` and `shell` share.
#pragma once

#include <sqlite3.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cloudlite/database.h"
#include "cloudlite/status.h"

namespace cloudlite::cli {

// Runs every statement in `sql` on `conn` (already inside a transaction), in order, stopping at
// the first error. Appends one Rows per statement that has result columns (SELECT, PRAGMA
// with output, ... RETURNING), even when it returned no rows.
Status RunStatements(Connection& conn, const Database& db, std::string_view sql,
                     std::vector<Rows>* results);

// Runs `sql` in one transaction: a View when it is a single read-only statement (no commit,
// fewer requests), else one Update, so that a lost race re-runs all of it and a failing
// statement leaves nothing behind. Results of earlier attempts are discarded.
Status RunInTransaction(Database& db, std::string_view sql, std::vector<Rows>* results);

// Splits text into complete statements (each ending at its ';', triggers kept whole) using
// sqlite3_complete, without preparing anything, so later statements may refer to tables that
// earlier ones create. A trailing fragment without ';' is returned as a statement too.
// Whitespace-only pieces are dropped.
std::vector<std::string> SplitStatements(std::string_view text);

// Turns a failed SQLite call on `db` into a Status with SQLite's message, through the one
// mapping (vfs/status_mapping.h): the store's own error when it caused the failure (it names
// the key), else SQL errors (syntax, constraint, ...) are InvalidArgument.
Status StatusFromSqlite(sqlite3* handle, int rc, const Database& db);

}  // namespace cloudlite::cli
