// Rendering query results and database facts for people (aligned text) and programs (JSON).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cloudlite/database.h"

namespace cloudlite::cli {

// An aligned table like sqlite3's `.mode column`: a header, a dashed rule, one line per row,
// columns two spaces apart, no trailing spaces. NULL prints as nothing, BLOBs as X'hex', and
// control characters in text are escaped (\n, \t, \xNN) so that one row stays one line.
// Columns holding only numbers (and NULLs) are right-aligned. Empty string for zero rows.
std::string FormatTable(const Rows& rows);

// A JSON array of objects, one per row, keys in column order: [{"a":1,"b":"x"}].
// NULL is null, BLOB a lowercase hex string. No trailing newline.
std::string FormatJson(const Rows& rows);

// The results of the row-returning statements of one run. Text: the tables, a blank line
// between two. JSON: one array per statement, one per line (JSON Lines), so a single query
// prints exactly one JSON document and several stay separable.
std::string FormatResults(const std::vector<Rows>& results, bool json);

// SQLite's own text form of a REAL (what `SELECT CAST(x AS TEXT)` gives): 1.0, 2.5, 1.0e+20.
std::string FormatReal(double value);

std::string FormatInfoText(const DatabaseInfo& info);
std::string FormatInfoJson(const DatabaseInfo& info);

// A JSON array of strings: ["a","b"]. Bad UTF-8 is replaced by U+FFFD, as in FormatJson.
std::string FormatJsonStrings(const std::vector<std::string>& texts);

// One value as FormatJson and FormatTable print it (a JSON value; a table cell).
std::string FormatJsonValue(const Value& v);
std::string FormatCellText(const Value& v);

}  // namespace cloudlite::cli
