#include "server/sql/guard.h"

#include <strings.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <string_view>

namespace cloudlite::server::sql {
namespace {

// PRAGMAs that change how the database file is kept rather than what it holds: setting them
// could break the VFS's assumptions (rollback journal, no mmap) or touch the local disk.
// Reading them is harmless.
constexpr std::array<std::string_view, 16> kFileLevelPragmas = {"journal_mode",
                                                                "locking_mode",
                                                                "mmap_size",
                                                                "page_size",
                                                                "synchronous",
                                                                "temp_store",
                                                                "temp_store_directory",
                                                                "data_store_directory",
                                                                "auto_vacuum",
                                                                "journal_size_limit",
                                                                "wal_autocheckpoint",
                                                                "wal_checkpoint",
                                                                "cache_spill",
                                                                "max_page_count",
                                                                "schema_version",
                                                                "legacy_file_format"};

bool Is(const char* a, std::string_view b) {
  return a != nullptr && strlen(a) == b.size() && strncasecmp(a, b.data(), b.size()) == 0;
}

bool IsFileLevelPragma(const char* name) {
  for (std::string_view p : kFileLevelPragmas) {
    if (Is(name, p)) return true;
  }
  return false;
}

// Authorizer actions that change the database.
bool IsWrite(int action) {
  switch (action) {
    case SQLITE_INSERT:
    case SQLITE_UPDATE:
    case SQLITE_DELETE:
    case SQLITE_CREATE_INDEX:
    case SQLITE_CREATE_TABLE:
    case SQLITE_CREATE_TEMP_INDEX:
    case SQLITE_CREATE_TEMP_TABLE:
    case SQLITE_CREATE_TEMP_TRIGGER:
    case SQLITE_CREATE_TEMP_VIEW:
    case SQLITE_CREATE_TRIGGER:
    case SQLITE_CREATE_VIEW:
    case SQLITE_DROP_INDEX:
    case SQLITE_DROP_TABLE:
    case SQLITE_DROP_TEMP_INDEX:
    case SQLITE_DROP_TEMP_TABLE:
    case SQLITE_DROP_TEMP_TRIGGER:
    case SQLITE_DROP_TEMP_VIEW:
    case SQLITE_DROP_TRIGGER:
    case SQLITE_DROP_VIEW:
    case SQLITE_ALTER_TABLE:
    case SQLITE_REINDEX:
    case SQLITE_ANALYZE:
    case SQLITE_CREATE_VTABLE:
    case SQLITE_DROP_VTABLE:
      return true;
    default:
      return false;
  }
}

int Refuse(ConnectionGuard* g, std::string why) {
  if (g->refused.empty()) g->refused = std::move(why);
  return SQLITE_DENY;
}

int Authorize(void* arg, int action, const char* a1, const char* a2, const char* /*db*/,
              const char* /*trigger*/) {
  auto* g = static_cast<ConnectionGuard*>(arg);
  switch (action) {
    case SQLITE_ATTACH:
      // Plain VACUUM attaches a private temporary database named ""; VACUUM INTO and ATTACH
      // name a file.
      if (a1 != nullptr && *a1 == '\0') break;
      return Refuse(g, "ATTACH and VACUUM INTO are not allowed: SQL cannot reach other files");
    case SQLITE_DETACH:
      return Refuse(g, "DETACH is not allowed");
    case SQLITE_FUNCTION:
      if (Is(a2, "load_extension")) return Refuse(g, "load_extension() is not allowed");
      break;
    case SQLITE_PRAGMA:
      if (Is(a1, "writable_schema")) return Refuse(g, "PRAGMA writable_schema is not allowed");
      if (a2 != nullptr && IsFileLevelPragma(a1)) {
        return Refuse(g, std::string("PRAGMA ") + a1 +
                             " cannot be set: the server decides how the database is stored");
      }
      if (a2 != nullptr && g->read_only && !Is(a1, "table_info") && !Is(a1, "table_xinfo") &&
          !Is(a1, "index_info") && !Is(a1, "index_xinfo") && !Is(a1, "index_list") &&
          !Is(a1, "foreign_key_list") && !Is(a1, "foreign_keys") && !Is(a1, "query_only") &&
          !Is(a1, "integrity_check") && !Is(a1, "quick_check") && !Is(a1, "table_list")) {
        return Refuse(g, std::string("PRAGMA ") + a1 + " cannot be set in a read-only transaction");
      }
      break;
    case SQLITE_TRANSACTION:
      if (Is(a1, "BEGIN")) g->tx_control = TxControl::kBegin;
      if (Is(a1, "COMMIT")) g->tx_control = TxControl::kCommit;
      if (Is(a1, "ROLLBACK")) g->tx_control = TxControl::kRollback;
      break;
    case SQLITE_UPDATE:
      // SQLite asks this of sqlite_schema's columns when a pragma function (pragma_table_info)
      // is first used on a connection, writing nothing. SQL cannot write sqlite_schema: SQLite
      // refuses it without writable_schema, which is refused above.
      if (Is(a1, "sqlite_master")) break;
      [[fallthrough]];
    default:
      if (g->read_only && IsWrite(action)) {
        return Refuse(g, "attempt to write in a read-only transaction or with read-only access");
      }
  }
  return SQLITE_OK;
}

int Progress(void* arg) {
  auto* g = static_cast<ConnectionGuard*>(arg);
  if (!g->deadline_passed && std::chrono::steady_clock::now() < g->deadline) return 0;
  g->deadline_passed = true;
  return 1;
}

}  // namespace

void InstallGuard(Database& db, ConnectionGuard* guard) {
  sqlite3* handle = db.handle();
  sqlite3_set_authorizer(handle, Authorize, guard);
  // Checked every 1000 virtual machine instructions: a few microseconds apart.
  db.SetProgressHandler(1000, Progress, guard);
  sqlite3_db_config(handle, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
  sqlite3_db_config(handle, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, nullptr);
}

}  // namespace cloudlite::server::sql
