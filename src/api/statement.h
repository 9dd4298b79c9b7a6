// Reading a prepared statement's results as typed values: the one row decoder, shared by the
// library (Connection::Query) and the CLI (cli/sql_runner).
#pragma once

#include <sqlite3.h>

#include "cloudlite/database.h"

namespace cloudlite {

// Column `column` of the current row as the Value of its storage class: INTEGER -> int64_t,
// FLOAT -> double, TEXT -> std::string (embedded NULs kept), BLOB -> Blob (a zero-length blob is
// an empty Blob, not NULL), NULL -> nullptr.
Value ColumnValue(sqlite3_stmt* stmt, int column);

// Steps `stmt` to its end: appends its column names to rows->columns (an unnamed column is "")
// and each row to rows->rows. Returns SQLite's last code: SQLITE_DONE when every row was read,
// else the error, with the rows read before it kept.
int ReadRows(sqlite3_stmt* stmt, Rows* rows);

}  // namespace cloudlite
