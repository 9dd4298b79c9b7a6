#include "api/sql.h"

#include <string>

#include "vfs/status_mapping.h"
#include "vfs/vfs.h"

namespace cloudlite {

Status SqliteError(sqlite3* db, int rc, std::string_view context) {
  return vfs::StatusFromSqlite(rc, std::string(context) + ": " + sqlite3_errmsg(db),
                               vfs::LastError(db));
}

Status Exec(sqlite3* db, const char* sql) {
  int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
  return rc == SQLITE_OK ? Status::Ok() : SqliteError(db, rc, sql);
}

void RollbackIfOpen(sqlite3* db) {
  if (!sqlite3_get_autocommit(db)) sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
}

}  // namespace cloudlite
