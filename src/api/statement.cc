#include "api/statement.h"

#include <cstdint>
#include <string>
#include <vector>

namespace cloudlite {

Value ColumnValue(sqlite3_stmt* stmt, int column) {
  switch (sqlite3_column_type(stmt, column)) {
    case SQLITE_INTEGER:
      return static_cast<int64_t>(sqlite3_column_int64(stmt, column));
    case SQLITE_FLOAT:
      return sqlite3_column_double(stmt, column);
    case SQLITE_TEXT: {
      const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, column));
      return std::string(text != nullptr ? text : "",
                         static_cast<size_t>(sqlite3_column_bytes(stmt, column)));
    }
    case SQLITE_BLOB: {
      const auto* data = static_cast<const char*>(sqlite3_column_blob(stmt, column));
      size_t n = static_cast<size_t>(sqlite3_column_bytes(stmt, column));
      return Blob{data != nullptr ? std::string(data, n) : std::string()};
    }
    default:
      return nullptr;
  }
}

int ReadRows(sqlite3_stmt* stmt, Rows* rows) {
  const int columns = sqlite3_column_count(stmt);
  for (int c = 0; c < columns; c++) {
    const char* name = sqlite3_column_name(stmt, c);
    rows->columns.emplace_back(name != nullptr ? name : "");
  }
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    std::vector<Value>& row = rows->rows.emplace_back();
    row.reserve(static_cast<size_t>(columns));
    for (int c = 0; c < columns; c++) row.push_back(ColumnValue(stmt, c));
  }
  return rc;
}

}  // namespace cloudlite
