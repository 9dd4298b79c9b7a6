// Reading one value back through a plain sqlite3 handle, for tests of the VFS and the extension.
#pragma once

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>

namespace cloudlite::test {

// The first column of the first row as text: "NULL" for a null, "" when there is no row. A
// statement that does not prepare fails the calling test.
inline std::string QueryText(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* stmt = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK)
      << sql << ": " << sqlite3_errmsg(db);
  std::string out;
  if (stmt != nullptr && sqlite3_step(stmt) == SQLITE_ROW) {
    const unsigned char* text = sqlite3_column_text(stmt, 0);
    out = text ? reinterpret_cast<const char*>(text) : "NULL";
  }
  sqlite3_finalize(stmt);
  return out;
}

}  // namespace cloudlite::test
